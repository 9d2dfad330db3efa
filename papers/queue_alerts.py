"""A queued task that django-q2 cannot verify, said once in the admin.

django-q2's pusher drops a task whose signature does not match this process's SECRET_KEY with only a traceback in
the worker's log ("Failed to push task to queue"). Attached to the "django-q" logger, this handler turns that into a
ServiceAlert the paper list shows. Loaded by LOGGING before the apps are, so the model is looked up when needed.
"""

import logging
from datetime import timedelta

from django.apps import apps
from django.core.signing import BadSignature
from django.utils import timezone

NAME = "queue"
MESSAGE = ("a queued task was signed with another SECRET_KEY and dropped: every web server and worker must have the "
           "same SECRET_KEY. Its paper is queued again by the resume-papers schedule within 10 minutes.")


def current():
    """The alerts the paper list shows: a dropped task's for a day after the last one (a fixed key drops no more)."""
    alerts = apps.get_model("papers", "ServiceAlert").objects.all()
    return alerts.exclude(name=NAME, last_seen__lt=timezone.now() - timedelta(days=1))


class DroppedTaskAlert(logging.Handler):
    def emit(self, record):
        if not (record.exc_info and isinstance(record.exc_info[1], BadSignature)):
            return
        try:
            apps.get_model("papers", "ServiceAlert").objects.update_or_create(
                name=NAME, defaults={"message": MESSAGE, "last_seen": timezone.now()})
        except Exception:  # a handler must never take the pusher down with it
            self.handleError(record)
