"""The queue itself: real django-q2 clusters, killed mid-paper, two on one Redis broker, under web load."""

import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from .conftest import ROOT, only_on_sqlite

# Each test runs its cluster on a throwaway SQLite database that it reads directly.
pytestmark = [pytest.mark.queue, only_on_sqlite]


def wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@pytest.fixture
def project(tmp_path):
    project = Project(tmp_path)
    project.manage("migrate", "-v0")
    yield project
    project.stop_all()


class Project:
    """The project run as its operator would: `manage.py` commands and processes on a throwaway SQLite file."""

    def __init__(self, tmp_path):
        self.tmp_path = tmp_path
        self.summarizer_log = tmp_path / "summarizer.log"
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "digest.settings",
            "PYTHONPATH": str(ROOT),
            "VAR_DIR": str(tmp_path),
            "DB_NAME": str(tmp_path / "queue.sqlite3"),
            "MEDIA_ROOT": str(tmp_path / "media"),
            "ARXIV_API_URL": "http://127.0.0.1:9/api/query",  # nothing listens: no live arXiv in tests
            "ARXIV_OAI_URL": "http://127.0.0.1:9/oai",
            "SUMMARIZER": "tests.summarizers.SlowSummarizer",
            "SLOW_SUMMARIZER_LOG": str(self.summarizer_log),
            "SLOW_SUMMARIZER_SECONDS": "1.5",
            "Q_WORKERS": "2",
            "Q_TIMEOUT": "6",
            "Q_RETRY": "8",
            "Q_POLL": "0.2",
        }
        self.processes = []  # (Popen, its log file)

    def manage(self, *args):
        return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, check=True,
                              capture_output=True, text=True)

    def start(self, *args, name):
        log = self.tmp_path / f"{name}-{len(self.processes)}.log"
        with log.open("w") as out:
            proc = subprocess.Popen([sys.executable, *args], cwd=ROOT, env=self.env, stdout=out,
                                    stderr=subprocess.STDOUT, start_new_session=True)
        self.processes.append((proc, log))
        return proc

    def start_cluster(self):
        return self.start("manage.py", "qcluster", name="qcluster")

    def stop_all(self):
        for proc, _ in self.processes:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()

    def query(self, sql):
        with sqlite3.connect(self.env["DB_NAME"], timeout=20) as db:
            return db.execute(sql).fetchall()

    def log_of(self, proc=None):
        """What one process (or every process) wrote."""
        return "\n".join(log.read_text() for p, log in self.processes if proc in (None, p))

    def queue_papers(self, count, enqueue_times=2):
        """`count` papers made from the sample PDFs, each enqueued `enqueue_times` times (as a lost task
        and the resume schedule would), so that only the claims keep two workers off one paper."""
        self.manage("shell", "-c", f"""
import shutil
from django.conf import settings
from papers import pipeline, queue
from papers.ingest import fetching
from papers.models import Paper, Topic
topic = Topic.objects.create(name="Load", slug="load", query="all:x", active=False)
pdfs = sorted((settings.BASE_DIR / "samples" / "pdfs").glob("*.pdf"))
for n in range({count}):
    arxiv_id = f"2698.{{n:05d}}"
    target = settings.MEDIA_ROOT / pipeline.pdf_relpath(arxiv_id, 1)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(pdfs[n % len(pdfs)], target)
    paper = Paper.objects.create(arxiv_id=arxiv_id, version=1, title=f"Load paper {{n}}", authors=["A. Author"],
        abstract="We study talking heads. The method is new. It works well on benchmarks.",
        abs_url=f"https://arxiv.org/abs/{{arxiv_id}}v1", pdf_url=f"https://arxiv.org/pdf/{{arxiv_id}}v1",
        license=fetching.SAMPLES_LICENCE)
    paper.topics.add(topic)
for _ in range({enqueue_times}):
    for paper in Paper.objects.all():
        queue.enqueue_paper(paper.pk)
""")

    def wait_until_drafted(self, count):
        def all_drafted():
            assert "database is locked" not in self.log_of()
            return self.query("SELECT count(*) FROM papers_paper WHERE stage = 'drafted'") == [(count,)]

        wait_for(all_drafted, 600, f"{count} papers to have their drafts")

    def assert_every_paper_done_once(self, count):
        done = self.query("SELECT p.arxiv_id, e.step, count(*) FROM papers_paperevent e JOIN papers_paper p "
                          "ON p.id = e.paper_id WHERE e.outcome = 'done' AND e.step != 'fetch' GROUP BY 1, 2")
        assert len(done) == count * 4
        assert {n for _, _, n in done} == {1}, "no finished step was done twice"
        assert self.query("SELECT count(*) FROM papers_section") == [(count * 4,)]
        assert self.query("SELECT count(*) FROM papers_generation") == [(count,)]


def test_a_cluster_killed_mid_paper_resumes_and_every_paper_ends_once(project):
    start_cluster, query, summarizer_log = project.start_cluster, project.query, project.summarizer_log
    project.manage("demo", "--offline")
    cluster = start_cluster()
    wait_for(lambda: summarizer_log.exists() and "start" in summarizer_log.read_text(), 60,
             "a worker to start summarizing")
    os.killpg(cluster.pid, signal.SIGKILL)  # the whole cluster, workers included, mid-summary
    cluster.wait()
    caught = query("SELECT arxiv_id, stage, claimed_until FROM papers_paper WHERE stage = 'extracted'")
    assert caught and all(claimed for _, _, claimed in caught), "a paper was caught mid-step, claimed"

    start_cluster()
    wait_for(lambda: query("SELECT count(*) FROM papers_paper WHERE stage = 'drafted'") == [(6,)], 120,
             "all six papers to reach review")

    project.assert_every_paper_done_once(6)
    # The paper caught mid-step had its summary started twice, and finished once.
    starts = summarizer_log.read_text().splitlines()
    assert len(starts) >= 6 and len(set(starts)) == 6


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def redis_url(tmp_path):
    server = shutil.which("redis-server")
    if server is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server; .ci/run installs it)")
    port = free_port()
    proc = subprocess.Popen([server, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no",
                             "--dir", str(tmp_path)], stdout=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    wait_for(lambda: subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True).returncode == 0,
             10, "redis-server to start")
    yield url
    proc.terminate()
    proc.wait()


def tasks_run_by(log_text):
    return len(re.findall(r"processing '?\[?paper-\d+", log_text))


def test_two_clusters_on_one_redis_broker_share_thirty_papers_and_do_none_twice(project, redis_url):
    project.env.update(REDIS_URL=redis_url, SLOW_SUMMARIZER_SECONDS="0.2")
    project.queue_papers(30)
    first, second = project.start_cluster(), project.start_cluster()
    project.wait_until_drafted(30)
    project.assert_every_paper_done_once(30)
    starts = project.summarizer_log.read_text().splitlines()
    assert len(starts) == len(set(starts)) == 30, "each paper summarized once"
    assert "database is locked" not in project.log_of()
    assert tasks_run_by(project.log_of(first)) > 0 and tasks_run_by(project.log_of(second)) > 0, \
        "both clusters took tasks from the broker"


def test_sqlite_with_two_workers_and_the_web_server_under_load_is_never_locked(project):
    """Two workers write the pipeline's rows while gunicorn serves readers and editors log in and out."""
    project.env.update(SLOW_SUMMARIZER_SECONDS="0")
    project.manage("shell", "-c", "from django.contrib.auth.models import User; "
                   "User.objects.create_superuser('editor', 'e@example.org', 'correct horse')")
    project.queue_papers(30, enqueue_times=1)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    project.start(str(Path(sys.executable).with_name("gunicorn")), "digest.wsgi", "-w", "2", "-b",
                  f"127.0.0.1:{port}", name="gunicorn")
    # Outcomes, not speed: generous limits, and each client finishes whole rounds however slow the machine.
    wait_for(lambda: requests.get(base + "/", timeout=30).ok if port_open(port) else False, 180, "gunicorn")
    project.start_cluster()

    stop = threading.Event()
    statuses, logins, rounds = [], [], []

    def reader():
        session = requests.Session()
        while not stop.is_set():
            for path in ("/", "/search/?q=talking+head", "/feed/rss/", "/feed/atom/"):
                statuses.append(session.get(base + path, timeout=120).status_code)
            rounds.append("reader")

    def editor():
        while not stop.is_set():
            session = requests.Session()
            login = session.get(base + "/admin/login/", timeout=120)
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login.text).group(1)
            response = session.post(base + "/admin/login/?next=/admin/", timeout=120, data={
                "csrfmiddlewaretoken": token, "username": "editor", "password": "correct horse"})
            statuses.append(response.status_code)
            logins.append("/admin/login/" not in response.url)
            statuses.append(session.get(base + "/admin/papers/paper/", timeout=120).status_code)
            statuses.append(session.post(base + "/admin/logout/", timeout=120, data={
                "csrfmiddlewaretoken": session.cookies["csrftoken"]}).status_code)
            rounds.append("editor")

    clients = [threading.Thread(target=reader) for _ in range(3)] + [threading.Thread(target=editor)]
    for client in clients:
        client.start()
    try:
        project.wait_until_drafted(30)
        wait_for(lambda: rounds.count("reader") >= 3 and "editor" in rounds, 300, "every client to finish a round")
    finally:
        stop.set()
        for client in clients:
            client.join()

    assert "database is locked" not in project.log_of()
    assert set(statuses) == {200}, {s: statuses.count(s) for s in set(statuses)}
    assert logins and all(logins), "each login wrote its session and last_login"
    project.assert_every_paper_done_once(30)


def port_open(port):
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0
