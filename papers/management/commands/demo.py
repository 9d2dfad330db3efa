import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from ...ingest import arxiv_source, fetching
from ...models import FetchRun, Language, Topic

DEMO_TOPIC = {
    "slug": "virtual-humans",
    "name": "元宇宙/虚拟人 · Virtual humans",
    "query": 'abs:"talking head" OR abs:"audio-driven portrait" OR abs:"head avatar" '
             'OR ti:avatar OR ti:"talking face" OR abs:"digital human"',
    "categories": "cs.CV cs.GR",
    "papers_per_run": 20,
    "language": Language.ZH,
}


class Command(BaseCommand):
    help = "Set up the demo: an editor account, the demo topic, and its first ingest (live or samples)."

    def add_arguments(self, parser):
        parser.add_argument("--offline", action="store_true", help="ingest the sample corpus without asking arXiv")

    def handle(self, *args, offline=False, **options):
        self.make_editor()
        topic, _ = Topic.objects.update_or_create(slug=DEMO_TOPIC["slug"], defaults=DEMO_TOPIC)
        run = None
        if not offline and arxiv_source.is_reachable():
            run = fetching.fetch_topic(topic)
            if run.status == FetchRun.Status.FAILED:
                self.stdout.write(f"arXiv answered but the fetch failed ({run.error}); using the sample corpus.")
                run = None
        elif not offline:
            self.stdout.write("arXiv is not reachable from this machine: ingesting the sample corpus in samples/.")
        if run is None:
            run = fetching.ingest_samples(topic)
        self.stdout.write(f"{topic.name}: {run.found} papers found, {run.created} new, queued for processing "
                          f"(summarizer: {settings.SUMMARIZER}).")

    def make_editor(self):
        User = get_user_model()
        if User.objects.filter(username="editor").exists():
            self.stdout.write("Editor account: editor (exists; password unchanged).")
            return
        password = secrets.token_urlsafe(12)
        User.objects.create_superuser("editor", "editor@localhost", password)
        self.stdout.write(f"Editor account created. Login: editor  Password: {password}  (shown once)")
