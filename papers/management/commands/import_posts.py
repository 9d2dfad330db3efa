from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ...editorial.posts import PostError, import_post, read_post


class Command(BaseCommand):
    help = "Import ChatPaperFree/Hexo digest posts into the review queue (idempotent by arXiv id)."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", type=Path)

    def handle(self, *args, paths, **options):
        for path in paths:
            if not path.is_file():
                raise CommandError(f"{path}: no such file")
            try:
                result = import_post(read_post(path.read_bytes()), path.name)
            except PostError as exc:
                raise CommandError(f"{path}: {exc}; nothing imported from it") from None
            self.stdout.write(f"{path.name}: {result.created} papers imported into {result.topic.name!r} "
                              f"({result.matched}), {result.skipped} already there")
            for title, why in result.rejected:
                self.stderr.write(f"{path.name}: left out {title[:60]!r}: {why}")
