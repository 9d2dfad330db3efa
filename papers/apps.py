from django.apps import AppConfig
from django.db.models.signals import post_migrate


def ensure_schedules(sender, **kwargs):
    from .tasks import ensure_resume_schedule

    ensure_resume_schedule()


class PapersConfig(AppConfig):
    name = "papers"
    verbose_name = "Papers"

    def ready(self):
        # Every deployment, not only the demo, needs lost tasks and due retries picked up.
        post_migrate.connect(ensure_schedules, sender=self)
