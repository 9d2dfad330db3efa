"""Requests counted per key with one conditional UPDATE each, so parallel requests cannot all pass the limit."""

import hashlib
import json

from django.db.models import F
from django.utils import timezone

from .models import Throttle


def key(*parts):
    """A key that does not keep the address or client it counts."""
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()


def take(key, limit, period):
    """True if `key` may make one more request in the current window of `period`, counting it."""
    now = timezone.now()
    Throttle.objects.filter(window_start__lt=now - period).delete()  # windows that are over, for every key
    Throttle.objects.bulk_create([Throttle(key=key, window_start=now)], ignore_conflicts=True)
    return Throttle.objects.filter(key=key, count__lt=limit).update(count=F("count") + 1) == 1
