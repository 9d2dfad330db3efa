"""django-q2 tasks: they take primary keys, fetch again, and return quietly when there is nothing to do."""

import logging
import smtplib

from . import delivery, mail
from .models import Subscriber

log = logging.getLogger("subscribers")


def send_confirmation(subscriber_pk, token, language):
    subscriber = Subscriber.objects.filter(pk=subscriber_pk).first()
    if subscriber is None:
        return
    try:
        mail.confirmation(subscriber, token, language).send()
    except smtplib.SMTPRecipientsRefused as exc:
        # Refused for good: nothing to retry, and the form has already answered as it always does.
        log.info("confirmation to subscriber %s refused: %s", subscriber_pk, exc.recipients)


def send_digests():
    """The schedule's task: make the deliveries that are due and send every one that waits."""
    made = delivery.plan()
    return {"planned": made, **delivery.send_due()}
