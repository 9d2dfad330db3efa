"""The project run as its operator runs it: `manage.py` commands and real processes on a throwaway SQLite file."""

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent


def wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


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

    def start_gunicorn(self, *options):
        """gunicorn serving the project on a free port, once it answers; its base URL."""
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        self.start(str(Path(sys.executable).with_name("gunicorn")), "digest.wsgi", "-b", f"127.0.0.1:{port}",
                   *options, name="gunicorn")
        wait_for(lambda: port_open(port) and requests.get(base + "/", timeout=30).ok, 180, "gunicorn")
        return base

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


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port):
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0
