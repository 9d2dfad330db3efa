from django.apps import AppConfig
from django.db.models.signals import post_migrate


def after_migrate(sender, **kwargs):
    # Also after `flush` (which sends post_migrate): the groups and schedules are
    # configuration, not data, and must always exist.
    from django.contrib.auth.models import Group, Permission

    from .roles import ensure_groups
    from .tasks import ensure_resume_schedule

    ensure_groups(Group, Permission)
    ensure_resume_schedule()


class PapersConfig(AppConfig):
    name = "papers"
    verbose_name = "Papers"

    def ready(self):
        post_migrate.connect(after_migrate, sender=self)
