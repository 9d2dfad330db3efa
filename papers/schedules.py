"""django-q2 schedules: each topic's fetch, the resume sweep, scheduled publication and the search index's
daily merge.

Kept in step with the topics by signals (papers.apps), so a topic saved from anywhere
(admin, shell, a command) has the schedule its cadence says.
"""

from datetime import timedelta

from django.contrib.auth.models import Group, Permission
from django.utils import timezone
from django_q.models import Schedule

from .editorial.roles import ensure_groups
from .models import Topic

RESUME_SCHEDULE = "resume-papers"
PUBLISH_SCHEDULE = "publish-due-papers"
OPTIMIZE_SCHEDULE = "optimize-search-index"

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
    defaults = {
        "func": "papers.tasks.fetch_topic",
        "args": repr((topic.pk,)),
        "schedule_type": CADENCE_TO_SCHEDULE[topic.cadence],
        "repeats": -1,
    }
    schedule, _ = Schedule.objects.update_or_create(
        name=topic.schedule_name(),
        defaults=defaults,
        # A new topic is fetched by whoever created it (the demo, fetch_papers);
        # the schedule takes over one period later.
        create_defaults={**defaults, "next_run": timezone.now() + CADENCE_PERIOD[topic.cadence]},
    )
    return schedule


def topic_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        sync_topic_schedule(instance)


def topic_deleted(sender, instance, **kwargs):
    Schedule.objects.filter(name=instance.schedule_name()).delete()


def ensure_schedules(minutes=10):
    """A lost task or a due retry is picked up within `minutes`; scheduled papers are published each minute; the
    search index is merged once a day."""
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
    Schedule.objects.update_or_create(
        name=OPTIMIZE_SCHEDULE,
        defaults={"func": "papers.tasks.optimize_search", "schedule_type": Schedule.DAILY, "repeats": -1},
    )


def after_migrate(sender, **kwargs):
    # Also after `flush` (which sends post_migrate): the groups and schedules are
    # configuration, not data, and must always exist.
    ensure_groups(Group, Permission)
    ensure_schedules()
