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


def periods(now, catch_up_days=1):
    """The daily and weekly periods due in the last `catch_up_days` (at least the latest of each), newest first:
    (frequency, first day, last day, when it was due)."""
    zone = ZoneInfo(settings.DIGEST_TIME_ZONE)
    local = now.astimezone(zone)
    at = time.fromisoformat(settings.DIGEST_SEND_TIME)
    send_day = local.date() if local.time() >= at else local.date() - DAY
    weekly_day = send_day - timedelta(days=(send_day.isoweekday() - settings.DIGEST_WEEKLY_DAY) % 7)
    found = [(Frequency.DAILY, day - DAY, day - DAY, datetime.combine(day, at, zone))
             for day in (send_day - n * DAY for n in range(max(catch_up_days, 1)))]
    week = weekly_day
    while week == weekly_day or (send_day - week).days < catch_up_days:
        found.append((Frequency.WEEKLY, week - 7 * DAY, week - DAY, datetime.combine(week, at, zone)))
        week -= 7 * DAY
    return found


def plan(now=None):
    """Make the deliveries of the periods due lately (DIGEST_CATCH_UP_DAYS: a schedule that was down for a day
    skips none) for the subscribers confirmed before each was due; returns how many were made. Run again, it
    makes none."""
    now = now or timezone.now()
    made = 0
    for frequency, start, end, due in periods(now, settings.DIGEST_CATCH_UP_DAYS):
        planned = Delivery.objects.filter(frequency=frequency, period_start=start)
        before = planned.count()
        waiting = (Subscriber.objects.filter(status=Subscriber.Status.ACTIVE, frequency=frequency,
                                             confirmed_at__lte=due)
                   .filter(~Exists(planned.filter(subscriber=OuterRef("pk")))).values_list("pk", flat=True))
        Delivery.objects.bulk_create(
            [Delivery(subscriber_id=pk, frequency=frequency, period_start=start, period_end=end, next_attempt_at=due)
             for pk in waiting], ignore_conflicts=True, batch_size=1000)
        made += planned.count() - before  # another worker may have planned some of them at the same moment
    return made


def _takeable(now):
    stale = now - timedelta(seconds=settings.DIGEST_CLAIM_SECONDS)
    return Q(state=Delivery.State.PENDING, next_attempt_at__lte=now) | Q(state=Delivery.State.SENDING,
                                                                        claimed_at__lt=stale)


def due(now, topic=None):
    deliveries = Delivery.objects.filter(_takeable(now))
    return deliveries.filter(subscriber__topics=topic) if topic else deliveries


def claim(ids, token, now):
    """Take these deliveries for this worker, in one conditional UPDATE; returns those it got (not another's)."""
    Delivery.objects.filter(_takeable(now), pk__in=ids).update(state=Delivery.State.SENDING, claim=token,
                                                               claimed_at=now)
    return list(Delivery.objects.filter(pk__in=ids, claim=token, state=Delivery.State.SENDING)
                .values_list("pk", flat=True))


def _still_ours(delivery, token):
    """Renew the claim just before the mail goes: a batch slower than DIGEST_CLAIM_SECONDS may have lost it to
    another worker, which then sends it, not this one."""
    return Delivery.objects.filter(pk=delivery.pk, claim=token, state=Delivery.State.SENDING).update(
        claimed_at=timezone.now()) == 1


def _finish(delivery, token, **fields):
    """Record the outcome, if the claim is still ours."""
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
        batch = list(Delivery.objects.filter(pk__in=claim(ids, token, moment)).select_related("subscriber")
                     .prefetch_related("subscriber__topics").order_by("pk"))
        sent = []
        try:
            with get_connection() as connection:
                for delivery in batch:
                    outcome = _send_one(delivery, token, connection, rendered, moment)
                    outcomes[outcome] += 1
                    if outcome == "sent":
                        sent.append(delivery.subscriber_id)
        except OSError as exc:  # smtplib's errors included
            # The server refused us, not an address (the connection, the login, the sender): this batch's claims
            # go back, untried and with no attempt counted, for the next run.
            left = Delivery.objects.filter(pk__in=[d.pk for d in batch], claim=token, state=Delivery.State.SENDING)
            outcomes["deferred"] += left.update(state=Delivery.State.PENDING, error=f"the mail server: {exc}"[:1000],
                                                next_attempt_at=moment + timedelta(seconds=settings.DIGEST_RETRY_SECONDS))
            log.warning("digests deferred: %s", exc)
            return outcomes
        finally:
            Subscriber.objects.filter(pk__in=sent).update(last_sent_at=timezone.now())


def _send_one(delivery, token, connection, rendered, moment):
    subscriber = delivery.subscriber
    if subscriber.status != Subscriber.Status.ACTIVE or subscriber.frequency != delivery.frequency:
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
    if not _still_ours(delivery, token):
        return "taken over"
    message = mail.digest(subscriber, rendered[key], message_id(delivery))
    message.connection = connection
    try:
        message.send()
    except smtplib.SMTPRecipientsRefused as exc:  # the address, at RCPT TO
        code, answer = next(iter(exc.recipients.values()))
        return _failed(delivery, token, connection, code, answer, moment, address=True)
    except smtplib.SMTPDataError as exc:  # this mail, after DATA
        return _failed(delivery, token, connection, exc.smtp_code, exc.smtp_error, moment)
    _finish(delivery, token, state=Delivery.State.SENT, sent_at=timezone.now(), papers=rendered[key].papers,
            error="")
    return "sent"


def _failed(delivery, token, connection, code, answer, moment, address=False):
    """A mail refused: for good (5xx; the address itself, if refused at RCPT TO), or for now (4xx)."""
    answer = answer.decode(errors="replace") if isinstance(answer, bytes) else str(answer)
    error = f"{code} {answer}".strip()
    if 500 <= code < 600:
        _finish(delivery, token, state=Delivery.State.FAILED, error=error)
        if address:
            subscribing.rejected(delivery.subscriber_id, error)
            return "rejected"
        return "failed"
    # smtplib drops the session after some temporary answers (421): the next mail opens a new one.
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
    latest = Paper.objects.published().filter(topics__in=topics).aggregate(at=Max("published_at"))["at"]
    if latest is None:
        return False
    day = latest.astimezone(ZoneInfo(settings.DIGEST_TIME_ZONE)).date()
    rendered = mail.render_digest(topics, subscriber.language, Frequency.DAILY, day, day, test=True)
    mail.digest(subscriber, rendered, make_msgid(domain=settings.FEED_ID_AUTHORITY), test_to=to).send()
    return True
