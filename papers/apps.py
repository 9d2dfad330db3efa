from django.apps import AppConfig
from django.db.models.signals import post_delete, post_migrate, post_save


class PapersConfig(AppConfig):
    name = "papers"
    verbose_name = "Papers"

    def ready(self):
        # Connected here, not imported by the models: the schedules belong to the task layer,
        # which itself builds on the models.
        from . import schedules
        from .public import surfaces

        post_migrate.connect(schedules.after_migrate, sender=self)
        post_save.connect(schedules.topic_saved, sender="papers.Topic")
        post_delete.connect(schedules.topic_deleted, sender="papers.Topic")
        post_save.connect(surfaces.topic_changed, sender="papers.Topic")
        post_delete.connect(surfaces.topic_changed, sender="papers.Topic")
