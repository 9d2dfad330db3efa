import datetime

from django.core.management.base import BaseCommand, CommandError

from ...editorial.posts import export_day
from ...models import Topic


class Command(BaseCommand):
    help = "Write a topic's published day as a ChatPaperFree/Hexo post (to standard output or --output)."

    def add_arguments(self, parser):
        parser.add_argument("topic", help="topic slug")
        parser.add_argument("date", type=datetime.date.fromisoformat, help="YYYY-MM-DD")
        parser.add_argument("--output", help="a file to write instead of standard output")

    def handle(self, *args, topic, date, output=None, **options):
        found = Topic.objects.filter(slug=topic).first()
        if not found:
            raise CommandError(f"no topic with slug {topic!r}")
        post = export_day(found, date)
        if post is None:
            raise CommandError(f"nothing of {found.name!r} was published on {date}: no post written")
        if output:
            try:
                with open(output, "w", encoding="utf-8") as fh:
                    fh.write(post)
            except OSError as exc:
                raise CommandError(f"cannot write {output}: {exc.strerror}") from None
        else:
            self.stdout.write(post, ending="")
