from django.core.management.base import BaseCommand

from ...public import search


class Command(BaseCommand):
    help = "Write the search index row of every published paper again."

    def handle(self, *args, **options):
        self.stdout.write(f"{search.reindex_all()} published papers indexed")
