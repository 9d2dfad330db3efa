"""Two layers of tests.

The core layer runs on what the project has (factories, samples/): every test not marked `corpus`.
The corpus layer (`@pytest.mark.corpus`) reads the real recorded inputs in ../shared/samples; where
that folder is absent (a user's clone) it is skipped with one reason. Under CI=true a missing
../shared is an error, and a run that skipped anything for a reason not in INTENDED_SKIPS fails.
"""

import json
import os
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.test import TestCase

from papers import lifecycle
from papers.editorial import review
from papers.models import Section, Topic

from .factories import SECRET_MARKERS, make_reviewed_paper, publish, user_in
from .processes import Project
from .smtp import SmtpSink

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "samples"
DATA = Path(__file__).resolve().parent / "data"
HEADINGS = json.loads((DATA / "headings.json").read_text())
TRUTH_TEXT_PDFS = [name for name, heads in HEADINGS.items() if not name.startswith("_") and heads]
IN_CI = os.environ.get("CI") == "true"
ON_POSTGRES = "DATABASE_URL" in os.environ
ON_REDIS = bool(os.environ.get("REDIS_URL"))
CORPUS_ABSENT = "corpus layer: ../shared/samples is absent (a user's clone); CI always runs it"
# The one kind of skip CI accepts: a test for the other database, which CI's other pass runs.
DATABASE_SKIP = "database:"
INTENDED_SKIPS = (DATABASE_SKIP,)

only_on_sqlite = pytest.mark.skipif(ON_POSTGRES, reason=f"{DATABASE_SKIP} SQLite only; CI's SQLite pass runs it")
only_on_postgres = pytest.mark.skipif(not ON_POSTGRES,
                                      reason=f"{DATABASE_SKIP} PostgreSQL only; CI's PostgreSQL pass runs it")


def pytest_configure(config):
    if IN_CI and not SHARED.exists():
        raise pytest.UsageError(f"CI=true and {SHARED} is absent: CI must run the corpus layer")


# Tests that run the project's processes or a browser take seconds each: started first, they do not leave one
# test worker running them alone at the end.
LONG_RUNNING_FIXTURES = {"project", "bare_project", "browser", "live_server"}


def pytest_collection_modifyitems(config, items):
    items.sort(key=lambda item: not LONG_RUNNING_FIXTURES & set(getattr(item, "fixturenames", ())))
    for item in items:
        if ON_REDIS and "broker" in getattr(item, "fixturenames", ()):
            # One Redis broker for all test workers: its tests share one. (The ORM broker is in each worker's
            # own test database.)
            item.add_marker(pytest.mark.xdist_group("broker"))
        if "corpus" in item.keywords and not SHARED.exists():
            item.add_marker(pytest.mark.skip(reason=CORPUS_ABSENT))


def _param(case, marks=()):
    values = case if isinstance(case, tuple) else (case,)
    name = next((v.name for v in values if isinstance(v, Path)), None)
    return pytest.param(*values, marks=marks, id=name)


def corpus_cases(shared, core=()):
    """Parameters of a test that runs on inputs of both layers: `core` ones from the project's samples/, always,
    and `shared` ones from ../shared, marked `corpus`. Where ../shared is absent its inputs are left out; a test
    with no core input then collects one placeholder, which the corpus marker skips."""
    cases = [_param(case) for case in core]
    if SHARED.exists():
        return cases + [_param(case, pytest.mark.corpus) for case in shared]
    if cases:
        return cases
    arity = len(shared[0]) if shared and isinstance(shared[0], tuple) else 1
    return [pytest.param(*[None] * arity, id="corpus-absent", marks=pytest.mark.corpus)]


SKIPS = []


def pytest_runtest_logreport(report):
    if report.skipped and isinstance(report.longrepr, tuple):
        SKIPS.append((report.nodeid, report.longrepr[2].removeprefix("Skipped: ")))


def unintended_skips():
    return [(nodeid, reason) for nodeid, reason in SKIPS if not reason.startswith(INTENDED_SKIPS)]


def pytest_terminal_summary(terminalreporter):
    reasons = Counter(reason for _, reason in SKIPS)
    if not SHARED.exists():
        terminalreporter.section("corpus layer")
        terminalreporter.line(f"{SHARED} is absent: tests with inputs of both layers ran on samples/ only")
    if reasons:
        terminalreporter.section("skipped, by reason")
        for reason, count in reasons.most_common():
            terminalreporter.line(f"{count:4d}  {reason}")
    if IN_CI and unintended_skips():
        terminalreporter.section("CI runs every test: these skipped for a reason CI does not accept")
        for nodeid, reason in unintended_skips():
            terminalreporter.line(f"{nodeid}: {reason}")


def pytest_sessionfinish(session, exitstatus):
    if IN_CI and unintended_skips() and exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def shared_file(*parts):
    """A real recorded input from ../shared/samples (for tests marked `corpus`)."""
    path = SHARED.joinpath(*parts)
    if not SHARED.exists():
        pytest.skip(CORPUS_ABSENT)
    assert path.exists(), f"{path} should be in ../shared/samples"
    return path


def shared_pdfs():
    return sorted((SHARED / "pdfs").glob("*.pdf")) if SHARED.exists() else []


@pytest.fixture(autouse=True)
def local_settings(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.ARXIV_DELAY_SECONDS = 0
    settings.ARXIV_TIMEOUT_SECONDS = 2
    settings.ARXIV_OAI_URL = "http://127.0.0.1:9/oai"  # nothing listens: no live arXiv in tests
    settings.PDF_DOWNLOAD_TIMEOUT_SECONDS = 2
    settings.SUMMARIZER = "extractive"
    # Deliberately slow password hashing is not what these tests measure.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": str(tmp_path)}}
    # Only the latest digest period is made, whatever the hour the tests run at (test_digest_delivery.py tests
    # the catching up).
    settings.DIGEST_CATCH_UP_DAYS = 1
    return settings


class FakeArxiv:
    """A local stand-in for export.arxiv.org and arxiv.org/pdf that replays real responses.

    `queue` holds (status, body, delay) for API requests in order; the last one
    repeats. `pdfs` maps a path such as "/pdf/2409.02634v2" to bytes. `oai` holds
    (status, body) for OAI-PMH requests, the last one repeating (none: 404). While `down`
    is set, every request gets arXiv's 503. With `trickle` = (bytes, seconds), PDFs are sent that many bytes at a
    time with a pause after each.
    """

    def __init__(self):
        self.queue = []
        self.pdfs = {}
        self.requests = []
        self.down = False
        self.oai = []
        self.trickle = None
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                fake.requests.append(self.path)
                if fake.down:
                    status, body, delay, content_type = 503, b"Service Unavailable", 0, "text/plain"
                elif self.path.startswith("/oai?") and fake.oai:
                    status, body = fake.oai.pop(0) if len(fake.oai) > 1 else fake.oai[0]
                    delay, content_type = 0, "text/xml"
                elif self.path.startswith("/api/query"):
                    status, body, delay = fake.queue.pop(0) if len(fake.queue) > 1 else fake.queue[0]
                    content_type = "application/atom+xml"
                elif self.path in fake.pdfs:
                    status, body, delay = 200, fake.pdfs[self.path], 0
                    content_type = "application/pdf"
                else:
                    status, body, delay, content_type = 404, b"not found", 0, "text/plain"
                if delay:
                    threading.Event().wait(delay)
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                pace = fake.trickle if content_type == "application/pdf" else None
                try:
                    for start in range(0, len(body), pace[0] if pace else len(body) or 1):
                        self.wfile.write(body[start:start + pace[0]] if pace else body)
                        self.wfile.flush()
                        if pace:
                            threading.Event().wait(pace[1])
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up on a slow body, as it should

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def reply(self, body, status=200, delay=0):
        if isinstance(body, Path):
            body = body.read_bytes()
        self.queue.append((status, body, delay))

    def api_requests(self):
        return [r for r in self.requests if r.startswith("/api/query")]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake_arxiv(settings):
    fake = FakeArxiv()
    settings.ARXIV_API_URL = f"{fake.url}/api/query"
    settings.ARXIV_OAI_URL = f"{fake.url}/oai"
    yield fake
    fake.close()


@pytest.fixture
def topic(db):
    return Topic.objects.create(
        name="Virtual humans", slug="virtual-humans", query='abs:"talking head"', categories="cs.CV cs.GR",
        papers_per_run=10,
    )


@pytest.fixture
def broker(db):
    """The configured django-q2 broker (the ORM; Redis in CI's second pass), emptied before and after."""
    from django_q.brokers import get_broker

    broker = get_broker()
    broker.purge_queue()
    yield broker
    broker.purge_queue()


@pytest.fixture
def reviewed_paper(topic, fake_arxiv):
    return make_reviewed_paper(topic, fake_arxiv)


@pytest.fixture
def editor(django_user_model):
    return user_in(django_user_model, "editor", "Editor")


@pytest.fixture
def publisher(django_user_model):
    return user_in(django_user_model, "publisher", "Publisher")


@pytest.fixture
def site(topic, fake_arxiv, publisher):
    """Two published papers, a draft, a rejected paper, and an unapproved edit of a published one."""
    avatar = publish(make_reviewed_paper(topic, fake_arxiv, 1), publisher)
    belle = publish(make_reviewed_paper(topic, fake_arxiv, 2), publisher)
    draft = make_reviewed_paper(topic, fake_arxiv, 3)
    draft.title = SECRET_MARKERS[0]
    draft.save()
    rejected = publish(make_reviewed_paper(topic, fake_arxiv, 4), publisher)
    rejected.title = SECRET_MARKERS[1]
    rejected.save()
    with TestCase.captureOnCommitCallbacks(execute=True):
        lifecycle.reject(rejected, "a duplicate", publisher)
    method = Section.objects.get(paper=belle, kind="method", is_current=True)
    review.edit_section(method.pk, SECRET_MARKERS[2], method.version, publisher)
    return {"avatar": avatar, "belle": belle, "draft": draft, "rejected": rejected, "topic": topic,
            "user": publisher}


# Headless Debian Chromium through Playwright, alive only for the module that uses it: Playwright's sync API
# runs an event loop in the test thread, and kept to one module it cannot trip Django's async guard in the
# tests that run after it.
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]

needs_chromium = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                    reason="Debian's chromium is not installed (apt-get install chromium)")


@pytest.fixture(scope="module")
def browser(django_db_setup, django_db_blocker):
    # The test database exists before the event loop starts; the ORM calls made while it
    # runs (the tests' own, and the flush after each) are synchronous and allowed.
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    yield context.new_page()
    context.close()


@pytest.fixture
def bare_project(tmp_path):
    """The project on a throwaway SQLite file not yet migrated (what `make demo` starts from)."""
    project = Project(tmp_path)
    yield project
    project.stop_all()


@pytest.fixture
def project(bare_project):
    bare_project.manage("migrate", "-v0")
    return bare_project


@pytest.fixture
def smtp(settings):
    """A local SMTP server that Django's SMTP backend talks to."""
    sink = SmtpSink()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", sink.port
    settings.EMAIL_TIMEOUT = 10
    yield sink
    sink.stop()
