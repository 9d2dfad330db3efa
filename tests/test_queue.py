"""The queue itself: a real django-q2 cluster, killed mid-paper and restarted."""

import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from .conftest import ROOT

pytestmark = [
    pytest.mark.queue,
    pytest.mark.skipif("DATABASE_URL" in os.environ,
                       reason="runs its cluster on a throwaway SQLite database, read directly"),
]


def wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@pytest.fixture
def project(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "digest.settings",
        "PYTHONPATH": str(ROOT),
        "VAR_DIR": str(tmp_path),
        "DB_NAME": str(tmp_path / "queue.sqlite3"),
        "MEDIA_ROOT": str(tmp_path / "media"),
        "ARXIV_API_URL": "http://127.0.0.1:9/api/query",  # nothing listens: no live arXiv in tests
        "SUMMARIZER": "tests.summarizers.SlowSummarizer",
        "SLOW_SUMMARIZER_LOG": str(tmp_path / "summarizer.log"),
        "SLOW_SUMMARIZER_SECONDS": "1.5",
        "Q_WORKERS": "2",
        "Q_TIMEOUT": "6",
        "Q_RETRY": "8",
        "Q_POLL": "0.2",
    }

    def manage(*args):
        return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True,
                              capture_output=True, text=True)

    manage("migrate", "-v0")
    manage("demo", "--offline")
    clusters = []

    def start_cluster():
        proc = subprocess.Popen([sys.executable, "manage.py", "qcluster"], cwd=ROOT, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        clusters.append(proc)
        return proc

    def query(sql):
        with sqlite3.connect(env["DB_NAME"], timeout=20) as db:
            return db.execute(sql).fetchall()

    yield start_cluster, query, tmp_path / "summarizer.log"
    for proc in clusters:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def test_a_cluster_killed_mid_paper_resumes_and_every_paper_ends_once(project):
    start_cluster, query, summarizer_log = project
    cluster = start_cluster()
    wait_for(lambda: summarizer_log.exists() and "start" in summarizer_log.read_text(), 60,
             "a worker to start summarizing")
    os.killpg(cluster.pid, signal.SIGKILL)  # the whole cluster, workers included, mid-summary
    cluster.wait()
    caught = query("SELECT arxiv_id, state, claimed_until FROM papers_paper WHERE state = 'extracted'")
    assert caught and all(claimed for _, _, claimed in caught), "a paper was caught mid-step, claimed"

    start_cluster()
    wait_for(lambda: query("SELECT count(*) FROM papers_paper WHERE state = 'in_review'") == [(6,)], 120,
             "all six papers to reach review")

    done = query("SELECT p.arxiv_id, e.step, count(*) FROM papers_paperevent e JOIN papers_paper p "
                 "ON p.id = e.paper_id WHERE e.outcome = 'done' AND e.step != 'fetch' GROUP BY 1, 2")
    assert len(done) == 6 * 4
    assert {count for _, _, count in done} == {1}, "no finished step was done twice"
    assert query("SELECT count(*) FROM papers_section") == [(6 * 4,)]
    assert query("SELECT count(*) FROM papers_generation") == [(6,)]
    # The paper caught mid-step had its summary started twice, and finished once.
    starts = summarizer_log.read_text().splitlines()
    assert len(starts) >= 6 and len(set(starts)) == 6
