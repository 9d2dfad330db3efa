from django.core.management.base import BaseCommand

from ...measurement.seeding import seed_papers


class Command(BaseCommand):
    help = "Add N synthetic published papers (for benchmarks and scale tests, never for a real site)."

    def add_arguments(self, parser):
        parser.add_argument("count", type=int)
        parser.add_argument("--seed", type=int, default=0)

    def handle(self, *args, count, seed, **options):
        papers = seed_papers(count, seed=seed)
        self.stdout.write(f"seeded {len(papers)} published papers")
