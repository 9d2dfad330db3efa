"""Putting work on django-q2's queue. Tasks are named by their dotted path, so whatever
enqueues work (the lifecycle, the editorial actions) needs nothing of the task layer."""

from django_q.tasks import async_task


def enqueue_paper(paper_id):
    async_task("papers.tasks.process_paper", paper_id, task_name=f"paper-{paper_id}", group="papers")


def enqueue_regeneration(paper_id, kind=None, user_id=None):
    async_task("papers.tasks.regenerate", paper_id, kind, user_id, task_name=f"regenerate-{paper_id}",
               group="papers")


def enqueue_fetch(topic_id):
    async_task("papers.tasks.fetch_topic", topic_id, task_name=f"refetch-{topic_id}", group="fetch")
