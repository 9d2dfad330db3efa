"""The management commands, and the sample corpus the project ships."""

from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import TestCase

from papers.models import FetchRun, Paper, Topic

from .conftest import ROOT, only_on_sqlite


def run(*args):
    """Run a command; it enqueues on commit, which inside a test's transaction means on return."""
    out, err = StringIO(), StringIO()
    with TestCase.captureOnCommitCallbacks(execute=True):
        call_command(*args, stdout=out, stderr=err)
    return out.getvalue() + err.getvalue()


def serve_samples(fake_arxiv):
    """The shipped sample feed and PDFs, served by the fake arXiv."""
    feed = (ROOT / "samples" / "arxiv" / "avatars.xml").read_bytes()
    fake_arxiv.reply(feed.replace(b"https://arxiv.org/pdf/", f"{fake_arxiv.url}/pdf/".encode()))
    for pdf in (ROOT / "samples" / "pdfs").glob("*.pdf"):
        fake_arxiv.pdfs[f"/pdf/{pdf.stem}"] = pdf.read_bytes()


def test_fetch_papers_sync_processes_the_new_papers_here(fake_arxiv, topic):
    serve_samples(fake_arxiv)
    output = run("fetch_papers", "--topic", topic.slug, "--sync")
    assert "virtual-humans: 6 found, 6 new, 0 new versions" in output
    assert "processed: 6 drafted" in output
    assert Paper.objects.filter(stage=Paper.Stage.DRAFTED).count() == 6


def test_fetch_papers_without_sync_queues(fake_arxiv, topic, broker):
    serve_samples(fake_arxiv)
    run("fetch_papers")
    assert broker.queue_size() == 6
    assert set(Paper.objects.values_list("stage", flat=True)) == {Paper.Stage.FETCHED}


def test_fetch_papers_says_which_topic_failed_and_exits_non_zero(fake_arxiv, topic):
    fake_arxiv.reply(b"down", status=503)
    with pytest.raises(CommandError, match="1 topic\\(s\\) could not be fetched"):
        run("fetch_papers")
    assert FetchRun.objects.get().status == FetchRun.Status.FAILED


def test_fetch_papers_refuses_an_unknown_topic(db):
    with pytest.raises(CommandError, match="no topic with slug 'nope'"):
        run("fetch_papers", "--topic", "nope")


def test_the_demo_ingests_the_shipped_samples_when_arxiv_is_unreachable(db, settings, broker):
    settings.ARXIV_API_URL = "http://127.0.0.1:9/api/query"  # nothing listens there
    first = run("demo")
    assert "arXiv is not reachable from this machine" in first
    assert "Login: editor  Password: " in first
    assert Topic.objects.get().name == "元宇宙/虚拟人 · Virtual humans"
    assert Paper.objects.count() == 6 and broker.queue_size() == 6
    second = run("demo", "--offline")
    assert "exists; password unchanged" in second and "Password:" not in second
    assert Paper.objects.count() == 6


def test_every_shipped_sample_paper_goes_through_the_pipeline(db):
    run("demo", "--offline")
    assert "processed: 6 drafted" in run("process_papers", "--sync")
    for paper in Paper.objects.all():
        assert paper.extraction["headings"] == [
            "Abstract", "1 Introduction", "2 Related Work", "3 Method", "4 Experiments", "5 Conclusion", "References"
        ]
        assert paper.sections.count() == 4 and paper.flag_score == 0
        # Each sample has a raster Figure 1 and a vector Figure 2; the teaser alone is pre-selected.
        assert [(f.label, f.kept) for f in paper.figures.all()] == [("Figure 1", True), ("Figure 2", False)]
    assert Paper.objects.exclude(project_url="").count() == 1
    assert Paper.objects.exclude(code_url="").count() == 2


def test_process_papers_queues_unfinished_papers(db, broker):
    run("demo", "--offline")
    broker.purge_queue()
    assert "queued 6 paper(s)" in run("process_papers")
    assert broker.queue_size() == 6


def test_the_queue_never_hands_a_slow_paper_to_a_second_worker():
    q = settings.Q_CLUSTER
    assert q["retry"] > q["timeout"] and q["max_attempts"] > 0
    assert q.get("orm") == "default" or q.get("redis") == settings.REDIS_URL != ""


@only_on_sqlite
def test_sqlite_waits_for_the_write_lock_instead_of_failing():
    options = settings.DATABASES["default"]["OPTIONS"]
    assert options["transaction_mode"] == "IMMEDIATE" and options["timeout"] >= 10
    assert "journal_mode=WAL" in options["init_command"]
