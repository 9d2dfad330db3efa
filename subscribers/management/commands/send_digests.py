from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from papers.models import Topic

from ... import delivery, mail


class Command(BaseCommand):
    help = ("Make the digests that are due and send them (what the schedule does every 15 minutes), for cron "
            "users. Each subscriber's digest of a period is sent once, however often this runs.")

    def add_arguments(self, parser):
        parser.add_argument("--topic", help="only subscribers of this topic (slug); their whole digest")
        parser.add_argument("--dry-run", action="store_true", help="say what would be sent; send and record nothing")

    def handle(self, *args, topic=None, dry_run=False, **options):
        if topic:
            slug, topic = topic, Topic.objects.filter(slug=topic).first()
            if topic is None:
                raise CommandError(f"No topic with the slug {slug!r}.")
        if dry_run:
            # Planned for real, so what is listed is what would go, then rolled back: nothing is recorded.
            with transaction.atomic():
                made = delivery.plan()
                self.list_due(topic, made)
                transaction.set_rollback(True)
            return
        made = delivery.plan()
        outcomes = delivery.send_due(topic=topic)
        done = ", ".join(f"{n} {what}" for what, n in sorted(outcomes.items())) or "nothing was due"
        self.stdout.write(f"{made} digests planned; {done}")

    def list_due(self, topic, made):
        due = list(delivery.due(timezone.now(), topic).select_related("subscriber")
                   .prefetch_related("subscriber__topics").order_by("pk"))
        for item in due:
            rendered = mail.render_digest(list(item.subscriber.topics.all()), item.subscriber.language,
                                          item.frequency, item.period_start, item.period_end)
            what = f"{rendered.papers} papers" if rendered else "nothing published: not sent"
            self.stdout.write(f"{item.subscriber.email} {item.frequency} {item.period_start}: {what}")
        self.stdout.write(f"dry run: {len(due)} digests due ({made} of them new); nothing sent or recorded")
