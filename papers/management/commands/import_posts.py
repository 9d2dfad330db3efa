from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ...editorial.posts import import_post


class Command(BaseCommand):
    help = "Import ChatPaperFree/Hexo digest posts into the review queue (idempotent by arXiv id)."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", type=Path)

    def handle(self, *args, paths, **options):
        for path in paths:
            if not path.is_file():
                raise CommandError(f"{path}: no such file")
            topic, created, skipped = import_post(path.read_text(encoding="utf-8"), path.name)
            self.stdout.write(f"{path.name}: {created} papers imported into {topic.name!r}, {skipped} already there")
