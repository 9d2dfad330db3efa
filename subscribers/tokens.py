"""Signed links: a confirmation that expires, and an unsubscribe link that works for as long as the mail is kept."""

from django.conf import settings
from django.core import signing

CONFIRM_SALT = "subscribers.confirm"
LEAVE_SALT = "subscribers.leave"
BadToken = signing.BadSignature  # an expired confirmation (SignatureExpired) is one too


def confirmation(email, topic_ids, frequency, language):
    """What was asked for travels in the link: nothing of an existing subscription changes before it is followed."""
    return signing.dumps({"e": email, "t": sorted(topic_ids), "f": frequency, "l": language}, salt=CONFIRM_SALT,
                         compress=True)


def read_confirmation(token):
    return signing.loads(token, salt=CONFIRM_SALT, max_age=settings.SUBSCRIBE_CONFIRM_DAYS * 86400)


def leave(subscriber):
    return signing.dumps(subscriber.pk, salt=LEAVE_SALT)


def read_leave(token):
    return signing.loads(token, salt=LEAVE_SALT)
