"""django-q2 tasks: thin wrappers that take primary keys and re-fetch.

Each returns quietly when there is nothing left to do, so a duplicate or late
task is harmless.
"""

import logging
from datetime import timedelta

from django.utils import timezone
from django_q.models import Schedule
from django_q.tasks import async_task

from . import pipeline
from .models import Topic

log = logging.getLogger(__name__)

RESUME_SCHEDULE = "resume-papers"
PUBLISH_SCHEDULE = "publish-due-papers"


def enqueue_paper(paper_id):
    async_task("papers.tasks.process_paper", paper_id, task_name=f"paper-{paper_id}", group="papers")


def process_paper(paper_id):
    return pipeline.process_paper(paper_id)


def enqueue_regeneration(paper_id, kind=None, user_id=None):
    async_task("papers.tasks.regenerate", paper_id, kind, user_id, task_name=f"regenerate-{paper_id}",
               group="papers")


def regenerate(paper_id, kind=None, user_id=None):
    return pipeline.regenerate(paper_id, kind, user_id)


def publish_due():
    from .review import publish_due as publish

    return publish()


def fetch_topic(topic_id):
    topic = Topic.objects.filter(pk=topic_id, active=True).first()
    if topic is None:
        return None
    run = pipeline.fetch_topic(topic)
    return f"{run.status}: {run.found} found, {run.created} new, {run.updated} new versions"


def resume_papers():
    """Enqueue every paper that has a step to run and no live claim, and the fetch of
    every topic whose last arXiv query failed and is due again."""
    ids = list(pipeline.resumable().values_list("pk", flat=True))
    for paper_id in ids:
        enqueue_paper(paper_id)
    topics = pipeline.topics_to_refetch()
    for topic in topics:
        async_task("papers.tasks.fetch_topic", topic.pk, task_name=f"refetch-{topic.pk}", group="fetch")
    return f"{len(ids)} papers, {len(topics)} topics"


CADENCE_PERIOD = {
    Topic.Cadence.HOURLY: timedelta(hours=1),
    Topic.Cadence.DAILY: timedelta(days=1),
    Topic.Cadence.WEEKLY: timedelta(weeks=1),
}
CADENCE_TO_SCHEDULE = {
    Topic.Cadence.HOURLY: Schedule.HOURLY,
    Topic.Cadence.DAILY: Schedule.DAILY,
    Topic.Cadence.WEEKLY: Schedule.WEEKLY,
}


def sync_topic_schedule(topic):
    """Create or update the topic's fetch schedule; an inactive topic has none."""
    if not topic.active:
        Schedule.objects.filter(name=topic.schedule_name()).delete()
        return None
    schedule, _ = Schedule.objects.update_or_create(
        name=topic.schedule_name(),
        defaults={
            "func": "papers.tasks.fetch_topic",
            "args": repr((topic.pk,)),
            "schedule_type": CADENCE_TO_SCHEDULE[topic.cadence],
            "repeats": -1,
        },
        # A new topic is fetched by whoever created it (the demo, fetch_papers);
        # the schedule takes over one period later.
        create_defaults={
            "func": "papers.tasks.fetch_topic",
            "args": repr((topic.pk,)),
            "schedule_type": CADENCE_TO_SCHEDULE[topic.cadence],
            "repeats": -1,
            "next_run": timezone.now() + CADENCE_PERIOD[topic.cadence],
        },
    )
    return schedule


def ensure_resume_schedule(minutes=10):
    """A lost task or a due retry is picked up within `minutes`; scheduled papers are published each minute."""
    Schedule.objects.update_or_create(
        name=RESUME_SCHEDULE,
        defaults={"func": "papers.tasks.resume_papers", "schedule_type": Schedule.MINUTES,
                  "minutes": minutes, "repeats": -1},
    )
    Schedule.objects.update_or_create(
        name=PUBLISH_SCHEDULE,
        defaults={"func": "papers.tasks.publish_due", "schedule_type": Schedule.MINUTES,
                  "minutes": 1, "repeats": -1},
    )
