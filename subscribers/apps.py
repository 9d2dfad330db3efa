from django.apps import AppConfig
from django.db.models.signals import post_migrate


class SubscribersConfig(AppConfig):
    name = "subscribers"
    verbose_name = "Subscribers"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Here, not in the models: the schedule belongs to the task layer, which builds on the models.
        from . import schedules

        post_migrate.connect(schedules.after_migrate, sender=self)
