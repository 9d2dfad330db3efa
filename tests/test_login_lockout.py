"""The admin lock-out holds: any spelling of the name, as long as configured, against parallel attempts, per client
behind the proxy."""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import requests
import time_machine
from django.test import Client
from django.utils import timezone

from .conftest import only_on_sqlite

WRONG = "Please enter the correct username and password"
LOCKED = "Too many failed logins for this account from your address"


@pytest.fixture
def locktest(django_user_model, settings):
    settings.LOGIN_MAX_FAILURES = 5
    settings.LOGIN_LOCKOUT_SECONDS = 900
    return django_user_model.objects.create_superuser("locktest", "l@example.org", "right-password")


def log_in(client, username, password, **headers):
    return client.post("/admin/login/", {"username": username, "password": password}, **headers).content.decode()


def fail_five_times(client, **headers):
    for _ in range(5):
        assert WRONG in log_in(client, "locktest", "wrong", **headers)


@pytest.mark.parametrize("spelling", [" locktest", "locktest ", "\tlocktest", "ｌｏｃｋｔｅｓｔ", "LOCKTEST", "locktest"])
def test_every_spelling_of_a_locked_name_is_locked(locktest, spelling):
    client = Client()
    fail_five_times(client)
    page = log_in(client, spelling, "right-password")
    assert LOCKED in page and "_auth_user_id" not in client.session


def test_the_lock_lasts_as_configured_on_the_deployed_cache(locktest, settings, tmp_path):
    # A file cache rewrote a counter with its default 300 s timeout; the lock must not depend on the deployed one.
    settings.CACHES = {"default": {**settings.CACHES["default"], "BACKEND": "digest.cache.PageCache",
                                   "LOCATION": str(tmp_path / "cache")}}
    client = Client()
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        fail_five_times(client)
        clock.move_to(start + timedelta(seconds=301))
        assert "try again in 10 minutes" in log_in(client, "locktest", "right-password")
        clock.move_to(start + timedelta(seconds=899))
        assert "try again in 1 minutes" in log_in(client, "locktest", "right-password")
        clock.move_to(start + timedelta(seconds=901))
        log_in(client, "locktest", "right-password")
        assert client.session["_auth_user_id"] == str(locktest.pk)


def test_a_successful_login_clears_the_count(locktest):
    client = Client()
    for _ in range(4):
        log_in(client, "locktest", "wrong")
    log_in(client, "locktest", "right-password")
    client.logout()
    for _ in range(4):
        assert WRONG in log_in(client, "locktest", "wrong"), "four more failures are not yet a lock"


def test_a_post_without_a_password_neither_counts_nor_forgives(locktest):
    client = Client()
    for _ in range(4):
        log_in(client, "locktest", "wrong")
    log_in(client, "locktest", "")
    assert WRONG in log_in(client, "locktest", "wrong"), "the fifth failure"
    assert LOCKED in log_in(client, "locktest", "right-password")


@only_on_sqlite
def test_forty_parallel_wrong_attempts_get_five_evaluations(project):
    # gunicorn with 16 threads, the project's real password hashing: the attempts overlap as real ones do.
    project.manage("shell", "-c", "from django.contrib.auth.models import User; "
                   "User.objects.create_superuser('locktest', 'l@example.org', 'right-password')")
    base = project.start_gunicorn("-w", "2", "--threads", "8")

    def attempt(_):
        session = requests.Session()
        session.get(f"{base}/admin/login/", timeout=120).raise_for_status()
        return session.post(f"{base}/admin/login/", timeout=120, data={
            "username": "locktest", "password": "wrong", "csrfmiddlewaretoken": session.cookies["csrftoken"]}).text

    with ThreadPoolExecutor(max_workers=40) as pool:
        pages = list(pool.map(attempt, range(40)))
    assert sum(WRONG in page for page in pages) == 5
    assert sum(LOCKED in page for page in pages) == 35


def test_behind_the_proxy_each_client_is_locked_alone(locktest, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    client = Client()
    fail_five_times(client, HTTP_X_FORWARDED_FOR="203.0.113.7", **proxy)
    assert LOCKED in log_in(client, "locktest", "right-password", HTTP_X_FORWARDED_FOR="203.0.113.7", **proxy)
    # What the client itself put in front of the header does not change who it is.
    assert LOCKED in log_in(client, "locktest", "right-password", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.7",
                            **proxy)
    other = Client()
    log_in(other, "locktest", "right-password", HTTP_X_FORWARDED_FOR="198.51.100.9", **proxy)
    assert other.session["_auth_user_id"] == str(locktest.pk), "another client behind the same proxy logs in"


def test_without_a_trusted_proxy_the_forwarded_header_is_ignored(locktest, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    client = Client()
    for n in range(5):
        log_in(client, "locktest", "wrong", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")
    assert LOCKED in log_in(client, "locktest", "right-password", HTTP_X_FORWARDED_FOR="198.51.100.99")
