"""The digest schedule: every quarter of an hour, so a day's digests go out soon after DIGEST_SEND_TIME and a
delivery that failed for a while is retried when its time comes."""

from django_q.models import Schedule

DIGEST_SCHEDULE = "send-digests"


def ensure_digest_schedule():
    Schedule.objects.update_or_create(
        name=DIGEST_SCHEDULE,
        defaults={"func": "subscribers.tasks.send_digests", "schedule_type": Schedule.MINUTES, "minutes": 15,
                  "repeats": -1},
    )


def after_migrate(sender, **kwargs):
    ensure_digest_schedule()
