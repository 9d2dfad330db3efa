"""Admin login with a lock-out after repeated failures for one account from one client address.

Each attempt takes one of the LOGIN_MAX_FAILURES attempts its key has with one conditional UPDATE before the
password is checked, so parallel attempts cannot all pass the check before any is counted. The key is a hash of
the user name as authentication sees it (stripped, NFKC-normalised; case folded too) and the client's address as
the trusted proxy reports it. The lock lasts LOGIN_LOCKOUT_SECONDS after the last counted failure; a successful login
clears the count.
"""

import hashlib
import json
import math
from datetime import timedelta

from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError
from django.db.models import F
from django.utils import timezone

from .models import LoginFailures


def client_address(request):
    """The client's address: REMOTE_ADDR, or behind TRUSTED_PROXY_COUNT proxies the address the outermost of
    them saw (each proxy appends the address it got the request from to X-Forwarded-For)."""
    hops = settings.TRUSTED_PROXY_COUNT
    forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()]
    if hops and len(forwarded) >= hops:
        return forwarded[-hops]
    return request.META.get("REMOTE_ADDR", "")


def take_attempt(key):
    """One attempt for `key`, or the seconds until it may try again when it has none left."""
    now = timezone.now()
    period = timedelta(seconds=settings.LOGIN_LOCKOUT_SECONDS)
    # Counts whose last failure is a period old are over, for every key: the table holds only live ones.
    LoginFailures.objects.filter(last_at__lt=now - period).delete()
    LoginFailures.objects.bulk_create([LoginFailures(key=key, last_at=now)], ignore_conflicts=True)
    taken = LoginFailures.objects.filter(key=key, count__lt=settings.LOGIN_MAX_FAILURES).update(
        count=F("count") + 1, last_at=now)
    if taken:
        return 0
    last_at = LoginFailures.objects.filter(key=key).values_list("last_at", flat=True).first() or now
    return max(1, (last_at + period - now).total_seconds())


def failure_key(address, username):
    return hashlib.sha256(json.dumps([address, username.casefold()]).encode()).hexdigest()


class ThrottledAdminAuthenticationForm(AdminAuthenticationForm):
    def clean(self):
        username, password = self.cleaned_data.get("username"), self.cleaned_data.get("password")
        if not (username and password):
            return super().clean()  # no password is checked, so no attempt is counted (and none forgiven)
        key = failure_key(client_address(self.request) if self.request else "", username)
        wait = take_attempt(key)
        if wait:
            raise ValidationError(
                "Too many failed logins for this account from your address; try again in %(minutes)d minutes.",
                code="throttled", params={"minutes": math.ceil(wait / 60)})
        cleaned = super().clean()  # raises unless the name and the password are right
        LoginFailures.objects.filter(key=key).delete()
        return cleaned
