"""Admin login with a lock-out after repeated failures for one account from one address."""

from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.cache import cache
from django.core.exceptions import ValidationError


class ThrottledAdminAuthenticationForm(AdminAuthenticationForm):
    def failure_key(self):
        address = self.request.META.get("REMOTE_ADDR", "") if self.request else ""
        return f"login-failures:{address}:{(self.data.get('username') or '').lower()}"

    def clean(self):
        key = self.failure_key()
        if cache.get(key, 0) >= settings.LOGIN_MAX_FAILURES:
            raise ValidationError(
                f"Too many failed logins for this account from your address; try again in "
                f"{settings.LOGIN_LOCKOUT_SECONDS // 60} minutes.", code="throttled")
        try:
            return super().clean()
        except ValidationError:
            cache.add(key, 0, settings.LOGIN_LOCKOUT_SECONDS)
            cache.incr(key)
            raise
