"""One pacing point per external service, shared by every worker process.

Each caller reserves the next free slot in a database row and sleeps until it
comes, so N workers on M machines together make at most one request per
`interval` seconds. The reservation is a short write transaction; the sleep
happens outside it, holding no lock.
"""

import time
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from ..models import RateLimit


def reserve_slot(name, interval):
    """Reserve the next slot for `name`; return how many seconds to wait for it."""
    with transaction.atomic():
        RateLimit.objects.get_or_create(name=name)
        limit = RateLimit.objects.select_for_update().get(name=name)
        now = timezone.now()
        slot = max(now, limit.next_at)
        limit.next_at = slot + timedelta(seconds=interval)
        limit.save(update_fields=["next_at"])
    return (slot - now).total_seconds()


def wait_turn(name, interval):
    wait = reserve_slot(name, interval)
    if wait > 0:
        time.sleep(wait)
    return wait
