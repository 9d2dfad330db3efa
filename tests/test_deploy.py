"""The deployment mode: check --deploy is clean, headers are strict, admin logins are throttled."""

import os
import secrets
import subprocess
import sys

from .conftest import ROOT

DEPLOY_ENV = {"DEBUG": "False", "SECRET_KEY": secrets.token_urlsafe(50), "ALLOWED_HOSTS": "digest.example.org"}


def manage(*args, **env):
    merged = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECRET_KEY")}
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env={**merged, **env},
                          capture_output=True, text=True)


def test_check_deploy_reports_nothing_in_the_deployment_mode(tmp_path):
    result = manage("check", "--deploy", "--fail-level", "WARNING", VAR_DIR=str(tmp_path), **DEPLOY_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_a_deployment_without_its_own_secret_key_refuses_to_start(tmp_path):
    result = manage("check", VAR_DIR=str(tmp_path), DEBUG="False", ALLOWED_HOSTS="digest.example.org")
    assert result.returncode != 0 and "Set SECRET_KEY" in result.stderr


def test_the_feed_id_authority_is_a_domain_whatever_allowed_hosts_holds(tmp_path):
    """Atom ids are tag: URIs, whose authority must be a domain name (RFC 4151)."""
    printed = "from django.conf import settings; print(settings.FEED_ID_AUTHORITY)"
    for hosts, authority in [("digest.example.org", "digest.example.org"), ("*", "localhost"),
                             (".example.org,*", "example.org"), ("[::1],*,news.example.org", "news.example.org")]:
        result = manage("shell", "-c", printed, VAR_DIR=str(tmp_path), ALLOWED_HOSTS=hosts)
        assert result.stdout.strip().splitlines()[-1:] == [authority], (hosts, result.stderr)


def test_pages_carry_a_strict_content_security_policy(client, db):
    policy = client.get("/")["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "object-src 'none'" in policy and "unsafe-inline" not in policy
    assert client.get("/")["X-Frame-Options"] == "DENY"
    assert client.get("/")["X-Content-Type-Options"] == "nosniff"
    assert "style-src 'self' 'unsafe-inline'" in client.get("/admin/login/")["Content-Security-Policy"]


def test_admin_login_is_locked_after_repeated_failures(client, django_user_model, settings):
    settings.LOGIN_MAX_FAILURES = 3
    django_user_model.objects.create_superuser("ed", "ed@example.org", "right-password")
    for _ in range(3):
        page = client.post("/admin/login/", {"username": "ed", "password": "wrong"}).content.decode()
        assert "Please enter the correct username and password" in page
    page = client.post("/admin/login/", {"username": "ed", "password": "right-password"}).content.decode()
    assert "Too many failed logins for this account from your address" in page
    assert "_auth_user_id" not in client.session
    response = client.post("/admin/login/", {"username": "other", "password": "wrong"})
    assert "Too many failed logins" not in response.content.decode(), "other accounts are not locked"


def test_a_successful_login_below_the_limit_works(client, django_user_model, settings):
    settings.LOGIN_MAX_FAILURES = 3
    django_user_model.objects.create_superuser("ed", "ed@example.org", "right-password")
    client.post("/admin/login/", {"username": "ed", "password": "wrong"})
    response = client.post("/admin/login/", {"username": "ed", "password": "right-password"})
    assert response.status_code == 302 and client.session["_auth_user_id"]


def test_the_web_server_leaves_what_loading_the_site_made_out_of_garbage_collection(tmp_path):
    """A full collection walked every object the site loads, stopping a request for 50 ms or more."""
    counted = "import gc, digest.wsgi; print(gc.get_freeze_count())"
    result = subprocess.run([sys.executable, "-c", counted], cwd=ROOT, capture_output=True, text=True,
                            env={**os.environ, "DEBUG": "True", "VAR_DIR": str(tmp_path)})
    assert int(result.stdout.strip() or 0) > 50_000, result.stderr
