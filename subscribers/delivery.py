"""Digests by mail, each (subscriber, period) once.

plan() makes one Delivery per active subscriber and period once the period's send time has passed. send_due()
claims each delivery with a conditional UPDATE before it is sent, sends a batch over one SMTP connection, and
marks each sent once the server has accepted it. A worker killed in the middle leaves its claims behind; after
DIGEST_CLAIM_SECONDS another worker takes them up. The one moment no database can cover is between the server's
"250 accepted" and our commit: a worker killed exactly then sends that mail again when its claim is taken up, with
the same Message-ID (README: a digest is never skipped).
"""

import logging
import secrets
import smtplib
from collections import Counter
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import get_connection
from django.core.mail.message import make_msgid
from django.db.models import Exists, Max, OuterRef, Q
from django.utils import timezone

from papers.models import Paper

from . import mail, subscribing
from .models import Delivery, Frequency, Subscriber

log = logging.getLogger("subscribers")
DAY = timedelta(days=1)


def periods(now):
    """The latest daily and weekly periods whose send time has passed: (frequency, first day, last day, when)."""
    zone = ZoneInfo(settings.DIGEST_TIME_ZONE)
    local = now.astimezone(zone)
    at = time.fromisoformat(settings.DIGEST_SEND_TIME)
    send_day = local.date() if local.time() >= at else local.date() - DAY
    weekly_day = send_day - timedelta(days=(send_day.isoweekday() - settings.DIGEST_WEEKLY_DAY) % 7)
    return [
        (Frequency.DAILY, send_day - DAY, send_day - DAY, datetime.combine(send_day, at, zone)),
        (Frequency.WEEKLY, weekly_day - 7 * DAY, weekly_day - DAY, datetime.combine(weekly_day, at, zone)),
    ]


def plan(now=None):
    """Make the deliveries of the latest periods for the subscribers confirmed before they were due; returns how
    many were made. Run again, it makes none."""
    now = now or timezone.now()
    made = 0
    for frequency, start, end, due in periods(now):
        planned = Delivery.objects.filter(subscriber=OuterRef("pk"), frequency=frequency, period_start=start)
        waiting = (Subscriber.objects.filter(status=Subscriber.Status.ACTIVE, frequency=frequency,
                                             confirmed_at__lte=due).filter(~Exists(planned))
                   .values_list("pk", flat=True))
        made += len(Delivery.objects.bulk_create(
            [Delivery(subscriber_id=pk, frequency=frequency, period_start=start, period_end=end, next_attempt_at=due)
             for pk in waiting], ignore_conflicts=True, batch_size=1000))
    return made


def _takeable(now):
    stale = now - timedelta(seconds=settings.DIGEST_CLAIM_SECONDS)
    return Q(state=Delivery.State.PENDING, next_attempt_at__lte=now) | Q(state=Delivery.State.SENDING,
                                                                        claimed_at__lt=stale)


def due(now, topic=None):
    deliveries = Delivery.objects.filter(_takeable(now))
    return deliveries.filter(subscriber__topics=topic) if topic else deliveries


def claim(pk, token, now):
    """Take one delivery for this worker: True if no other worker has it."""
    return Delivery.objects.filter(_takeable(now), pk=pk).update(
        state=Delivery.State.SENDING, claim=token, claimed_at=now) == 1


def _finish(delivery, token, **fields):
    """Record the outcome, if the claim is still ours (a worker this slow may have lost it to another)."""
    if not Delivery.objects.filter(pk=delivery.pk, claim=token, state=Delivery.State.SENDING).update(**fields):
        log.warning("delivery %s: the claim was taken over before its outcome (%s) was recorded", delivery.pk,
                    fields.get("state"))


def message_id(delivery):
    return f"<digest-{delivery.pk}@{settings.FEED_ID_AUTHORITY}>"


def send_due(now=None, topic=None, batch_size=None):
    """Send every delivery that is due, batch by batch, one SMTP connection each. Returns the outcomes counted."""
    token = secrets.token_hex(16)
    batch_size = batch_size or settings.DIGEST_BATCH_SIZE
    rendered = {}  # one rendering per topics, language and period, shared by everyone who gets it
    outcomes = Counter()
    while True:
        moment = now or timezone.now()
        ids = list(due(moment, topic).order_by("pk").values_list("pk", flat=True)[:batch_size])
        if not ids:
            return outcomes
        # One conditional UPDATE claims the batch; what this worker got is what carries its claim.
        Delivery.objects.filter(_takeable(moment), pk__in=ids).update(
            state=Delivery.State.SENDING, claim=token, claimed_at=moment)
        batch = (Delivery.objects.filter(pk__in=ids, claim=token, state=Delivery.State.SENDING)
                 .select_related("subscriber").prefetch_related("subscriber__topics").order_by("pk"))
        connection = get_connection()
        sent = []
        try:
            for delivery in batch:
                outcome = _send_one(delivery, token, connection, rendered, moment)
                outcomes[outcome] += 1
                if outcome == "sent":
                    sent.append(delivery.subscriber_id)
        finally:
            connection.close()
            Subscriber.objects.filter(pk__in=sent).update(last_sent_at=timezone.now())


def _send_one(delivery, token, connection, rendered, moment):
    subscriber = delivery.subscriber
    if subscriber.status != Subscriber.Status.ACTIVE:
        _finish(delivery, token, state=Delivery.State.DROPPED)
        return "dropped"
    topics = list(subscriber.topics.all())
    key = (tuple(sorted(t.pk for t in topics)), subscriber.language, delivery.frequency, delivery.period_start)
    if key not in rendered:
        rendered[key] = mail.render_digest(topics, subscriber.language, delivery.frequency, delivery.period_start,
                                           delivery.period_end)
    if rendered[key] is None:
        _finish(delivery, token, state=Delivery.State.EMPTY)
        return "empty"
    message = mail.digest(subscriber, rendered[key], message_id(delivery))
    message.connection = connection
    try:
        message.send()
    except smtplib.SMTPRecipientsRefused as exc:
        code, answer = next(iter(exc.recipients.values()))
        return _failed(delivery, token, connection, code, answer, moment)
    except smtplib.SMTPResponseException as exc:
        return _failed(delivery, token, connection, exc.smtp_code, exc.smtp_error, moment)
    except (smtplib.SMTPException, OSError) as exc:
        return _failed(delivery, token, connection, 0, str(exc), moment)
    _finish(delivery, token, state=Delivery.State.SENT, sent_at=timezone.now(), papers=rendered[key].papers,
            error="")
    return "sent"


def _failed(delivery, token, connection, code, answer, moment):
    answer = answer.decode(errors="replace") if isinstance(answer, bytes) else str(answer)
    error = f"{code} {answer}".strip()
    if 500 <= code < 600:  # permanent: the address is refused
        subscribing.rejected(delivery.subscriber_id, error)
        _finish(delivery, token, state=Delivery.State.FAILED, error=error)
        return "rejected"
    # Temporary (4xx) or the connection lost: a new connection for the next mail, this one later.
    connection.close()
    attempts = delivery.attempts + 1
    if attempts >= settings.DIGEST_MAX_ATTEMPTS:
        _finish(delivery, token, state=Delivery.State.FAILED, attempts=attempts, error=error)
        return "failed"
    retry = moment + timedelta(seconds=settings.DIGEST_RETRY_SECONDS * 2 ** (attempts - 1))
    _finish(delivery, token, state=Delivery.State.PENDING, attempts=attempts, next_attempt_at=retry, error=error)
    return "retry"


def send_test(subscriber, to):
    """The subscriber's digest of the latest day anything was published in their topics, sent to `to` (the
    editor who asked) now, outside the deliveries. False when their topics have nothing published."""
    topics = list(subscriber.topics.all())
    latest = Paper.objects.published().filter(topics__in=topics).aggregate(day=Max("published_on"))["day"]
    if latest is None:
        return False
    rendered = mail.render_digest(topics, subscriber.language, Frequency.DAILY, latest, latest, test=True)
    mail.digest(subscriber, rendered, make_msgid(domain=settings.FEED_ID_AUTHORITY), to=to).send()
    return True
