import datetime
import sys

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from tqdm import tqdm

from ... import pipeline
from ...ingest import fetching
from ...models import FetchRun, Paper, Topic


class Command(BaseCommand):
    help = "Fetch new arXiv papers for active topics and queue them (or process them here with --sync)."

    def add_arguments(self, parser):
        parser.add_argument("--topic", help="slug of one topic (default: every active topic)")
        parser.add_argument("--since", type=datetime.date.fromisoformat,
                            help="only papers submitted on or after this date (YYYY-MM-DD)")
        parser.add_argument("--sync", action="store_true",
                            help="process the new papers in this process instead of the queue")

    def handle(self, *args, topic=None, since=None, sync=False, **options):
        topics = Topic.objects.filter(active=True)
        if topic:
            topics = Topic.objects.filter(slug=topic)
            if not topics:
                raise CommandError(f"no topic with slug {topic!r}")
        since_dt = (
            datetime.datetime.combine(since, datetime.time.min, tzinfo=datetime.timezone.utc) if since else None
        )
        failed = 0
        for t in topics:
            started = timezone.now()
            run = fetching.fetch_topic(t, since=since_dt, progress=progress_bar(f"fetch {t.slug}"))
            if run.status == FetchRun.Status.FAILED:
                failed += 1
                self.stderr.write(f"{t.slug}: fetch failed: {run.error}")
                continue
            self.stdout.write(f"{t.slug}: {run.found} found, {run.created} new, {run.updated} new versions")
            if sync:
                new = Paper.objects.needing_work().filter(topics=t, fetched_at__gte=started)
                process_here(new, self.stdout)
        if failed:
            raise CommandError(f"{failed} topic(s) could not be fetched; they are retried at the next run")


def progress_bar(label):
    """A progress bar on a terminal, nothing in logs."""

    def wrap(iterable, total=None):
        return tqdm(iterable, total=total, desc=label, unit="paper", disable=not sys.stderr.isatty())

    return wrap


def process_here(papers, stdout):
    ids = list(papers.values_list("pk", flat=True))
    stages = {}
    for pk in progress_bar("process")(ids, total=len(ids)):
        stage = pipeline.process_paper(pk)
        stages[stage] = stages.get(stage, 0) + 1
    stdout.write("processed: " + (", ".join(f"{n} {s}" for s, n in sorted(stages.items())) or "nothing to do"))
    return stages
