from django.core.management.base import BaseCommand

from ...public import search, surfaces


class Command(BaseCommand):
    help = "Write the search index row of every published paper, and every topic's day counts, again."

    def handle(self, *args, **options):
        self.stdout.write(f"{search.reindex_all()} published papers indexed; "
                          f"topic days counted: {surfaces.count_all_days()}")
