"""A subscriber's life: asked for (double opt-in), confirmed, left, or rejected by its mail server.

Each change of Subscriber.status happens here, with a conditional UPDATE where two requests could meet.
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_q.tasks import async_task

from papers.models import Topic

from . import throttle, tokens
from .models import Delivery, Subscriber

DAY = timedelta(days=1)


class TooManyRequests(Exception):
    """This client asked for too many subscriptions today (said to it: it reveals nothing about any address)."""


def normalized(email):
    return email.strip().lower()


def subscribe(email, topics, frequency, language, client):
    """Ask for a subscription: a confirmation link is mailed, and nothing else changes until it is followed.

    The caller answers the same whether the address is new, subscribed, or has asked too often today: an
    address's limit is kept silently, so the form tells no one what it knows of an address."""
    email = normalized(email)
    if not throttle.take(throttle.key("client", client), settings.SUBSCRIBE_MAX_PER_CLIENT, DAY):
        raise TooManyRequests
    if not throttle.take(throttle.key("address", email), settings.SUBSCRIBE_MAX_PER_ADDRESS, DAY):
        return
    subscriber, _ = Subscriber.objects.get_or_create(email=email, defaults={"frequency": frequency,
                                                                            "language": language})
    token = tokens.confirmation(email, [t.pk for t in topics], frequency, language)
    transaction.on_commit(lambda: async_task("subscribers.tasks.send_confirmation", subscriber.pk, token, language,
                                             group="mail"))


def confirm(token):
    """Follow a confirmation link: the subscription becomes what the link asked for. Raises tokens.BadToken."""
    wanted = tokens.read_confirmation(token)
    with transaction.atomic():
        subscriber, _ = Subscriber.objects.get_or_create(email=wanted["e"])
        # A subscriber who only changes topics or language keeps the periods already due to them.
        same = subscriber.status == Subscriber.Status.ACTIVE and subscriber.frequency == wanted["f"]
        Subscriber.objects.filter(pk=subscriber.pk).update(
            status=Subscriber.Status.ACTIVE, frequency=wanted["f"], language=wanted["l"],
            confirmed_at=subscriber.confirmed_at if same else timezone.now(), left_at=None, bounce_reason="")
        subscriber.topics.set(Topic.objects.filter(pk__in=wanted["t"]))
    return Subscriber.objects.get(pk=subscriber.pk)


def leave(token):
    """Unsubscribe (the link in every mail, and RFC 8058's one-click POST). Raises tokens.BadToken."""
    pk = tokens.read_leave(token)
    with transaction.atomic():
        left = Subscriber.objects.filter(pk=pk, status__in=[Subscriber.Status.ACTIVE, Subscriber.Status.PENDING]) \
            .update(status=Subscriber.Status.UNSUBSCRIBED, left_at=timezone.now())
        if left:
            Delivery.objects.filter(subscriber_id=pk, state=Delivery.State.PENDING).update(
                state=Delivery.State.DROPPED)
    return Subscriber.objects.filter(pk=pk).first()


def rejected(subscriber_pk, answer):
    """The address's mail server refused it for good (5xx): no more mail to it."""
    with transaction.atomic():
        if Subscriber.objects.filter(pk=subscriber_pk, status=Subscriber.Status.ACTIVE).update(
                status=Subscriber.Status.BOUNCED, left_at=timezone.now(), bounce_reason=answer[:1000]):
            Delivery.objects.filter(subscriber_id=subscriber_pk, state=Delivery.State.PENDING).update(
                state=Delivery.State.DROPPED)
