"""The queue itself: real django-q2 clusters, killed mid-paper, two on one Redis broker, under web load."""

import os
import re
import shutil
import signal
import subprocess
import sys
import threading

import pytest
import requests

from .conftest import ROOT, only_on_sqlite
from .processes import free_port, wait_for

# Each test runs its cluster on a throwaway SQLite database that it reads directly.
pytestmark = [pytest.mark.queue, only_on_sqlite]


def test_a_cluster_killed_mid_paper_resumes_and_every_paper_ends_once(project):
    start_cluster, query, summarizer_log = project.start_cluster, project.query, project.summarizer_log
    project.manage("demo", "--offline")
    cluster = start_cluster()
    wait_for(lambda: summarizer_log.exists() and "start" in summarizer_log.read_text(), 60,
             "a worker to start summarizing")
    os.killpg(cluster.pid, signal.SIGKILL)  # the whole cluster, workers included, mid-summary
    cluster.wait()
    # The paper whose summary had started keeps its claim; others may wait, unclaimed, between two steps.
    started = {line.removeprefix("start ") for line in summarizer_log.read_text().splitlines()}
    caught = [(title, claimed) for title, claimed in query(
        "SELECT title, claimed_until FROM papers_paper WHERE stage = 'extracted'") if title in started]
    assert caught and all(claimed for _, claimed in caught), "a paper was caught mid-summary, claimed"

    start_cluster()
    wait_for(lambda: query("SELECT count(*) FROM papers_paper WHERE stage = 'drafted'") == [(6,)], 120,
             "all six papers to reach review")

    project.assert_every_paper_done_once(6)
    # The paper caught mid-step had its summary started twice, and finished once.
    starts = summarizer_log.read_text().splitlines()
    assert len(starts) >= 6 and len(set(starts)) == 6


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
    # Outcomes, not speed: generous limits, and each client finishes whole rounds however slow the machine.
    base = project.start_gunicorn("-w", "2")
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


def test_a_task_signed_with_another_secret_key_is_said_in_the_admin_and_its_paper_still_ends(project):
    project.queue_papers(1, enqueue_times=0)
    with_other_key = {**project.env, "SECRET_KEY": "another-machine's-key"}
    enqueue = "from papers import queue; from papers.models import Paper; queue.enqueue_paper(Paper.objects.get().pk)"
    subprocess.run([sys.executable, "manage.py", "shell", "-c", enqueue], cwd=ROOT, env=with_other_key, check=True)
    cluster = project.start_cluster()
    wait_for(lambda: project.query("SELECT message FROM papers_servicealert WHERE name = 'queue'"), 60,
             "the dropped task to be said")
    (message,), = project.query("SELECT message FROM papers_servicealert WHERE name = 'queue'")
    assert "signed with another SECRET_KEY" in message
    assert "Failed to push task to queue" in project.log_of(cluster)
    # The resume schedule (run by the cluster, with its own key) takes the paper up.
    project.manage("shell", "-c", "from papers import tasks; tasks.resume_papers()")
    project.wait_until_drafted(1)
