"""django-q2 tasks: thin wrappers that take primary keys and re-fetch.

Each returns quietly when there is nothing left to do, so a duplicate or late
task is harmless. Work is put on the queue by papers.queue.
"""

from . import lifecycle, pipeline, queue
from .editorial import drafts
from .ingest import fetching
from .models import Topic
from .public import search


def process_paper(paper_id):
    return pipeline.process_paper(paper_id)


def regenerate(paper_id, kind=None, user_id=None):
    return drafts.regenerate(paper_id, kind, user_id)


def publish_due():
    return lifecycle.publish_due()


def optimize_search():
    search.optimize()
    return "search index merged"


def fetch_topic(topic_id):
    topic = Topic.objects.filter(pk=topic_id, active=True).first()
    if topic is None:
        return None
    run = fetching.fetch_topic(topic)
    return f"{run.status}: {run.found} found, {run.created} new, {run.updated} new versions"


def resume_papers():
    """Enqueue every paper that has a step to run and no live claim, and the fetch of
    every topic whose last arXiv query failed and is due again."""
    ids = list(lifecycle.resumable().values_list("pk", flat=True))
    for paper_id in ids:
        queue.enqueue_paper(paper_id)
    topics = fetching.topics_to_refetch()
    for topic in topics:
        queue.enqueue_fetch(topic.pk)
    return f"{len(ids)} papers, {len(topics)} topics"
