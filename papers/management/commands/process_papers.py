from django.core.management.base import BaseCommand

from ... import lifecycle, queue
from ...models import Paper
from .fetch_papers import process_here


class Command(BaseCommand):
    help = "Resume every paper that has a step to run: queue it, or run it here with --sync."

    def add_arguments(self, parser):
        parser.add_argument("--sync", action="store_true", help="process here instead of the queue")
        parser.add_argument("--paper", help="one paper, by arXiv id")

    def handle(self, *args, sync=False, paper=None, **options):
        papers = lifecycle.resumable()
        if paper:
            papers = Paper.objects.filter(arxiv_id=paper)
        if sync:
            process_here(papers, self.stdout)
            return
        for pk in papers.values_list("pk", flat=True):
            queue.enqueue_paper(pk)
        self.stdout.write(f"queued {papers.count()} paper(s)")
