from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from papers.models import Topic


class Frequency(models.TextChoices):
    DAILY = "daily", _("Daily")
    WEEKLY = "weekly", _("Weekly")


class Subscriber(models.Model):
    """An address that asked for digests. Nothing is mailed to it but the confirmation until it confirms."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for confirmation"
        ACTIVE = "active", "Subscribed"
        UNSUBSCRIBED = "unsubscribed", "Unsubscribed"
        BOUNCED = "bounced", "Address rejected by its mail server"

    email = models.EmailField(unique=True, help_text="Lower case, as typed otherwise")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    frequency = models.CharField(max_length=10, choices=Frequency.choices, default=Frequency.DAILY)
    language = models.CharField(max_length=10, choices=settings.LANGUAGES, default="en")
    topics = models.ManyToManyField(Topic, related_name="subscribers", blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    left_at = models.DateTimeField(null=True, blank=True, help_text="Unsubscribed or rejected")
    bounce_reason = models.TextField(blank=True, help_text="The mail server's answer")
    last_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "frequency"])]

    def __str__(self):
        return self.email


class Delivery(models.Model):
    """One subscriber's digest of one period: made once, claimed before it is sent, sent at most once."""

    class State(models.TextChoices):
        PENDING = "pending", "Waiting"
        SENDING = "sending", "Claimed by a worker"
        SENT = "sent", "Sent"
        EMPTY = "empty", "Nothing published: not sent"
        FAILED = "failed", "Failed"
        DROPPED = "dropped", "Not sent: the subscriber left"

    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="deliveries")
    frequency = models.CharField(max_length=10, choices=Frequency.choices)
    period_start = models.DateField()
    period_end = models.DateField(help_text="Inclusive")
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claim = models.CharField(max_length=32, blank=True, help_text="The worker's claim while it sends")
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    papers = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(fields=["subscriber", "frequency", "period_start"], name="one_delivery_per_period"),
        ]
        indexes = [models.Index(fields=["state", "next_attempt_at"])]

    def __str__(self):
        return f"{self.subscriber} {self.frequency} {self.period_start}"


class Throttle(models.Model):
    """Requests counted per key (a hashed address or client) in the current window."""

    key = models.CharField(max_length=64, unique=True)
    window_start = models.DateTimeField(db_index=True)  # windows that are over are deleted on every request
    count = models.PositiveIntegerField(default=0)

    def __str__(self):
        return self.key
