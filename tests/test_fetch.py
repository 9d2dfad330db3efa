"""Fetching a topic through the real `arxiv` client against a local fake arXiv."""

import logging
from datetime import datetime
from datetime import timezone as dt_timezone

import pytest
from django.utils import timezone

from papers.ingest import fetching, pacing
from papers.models import FetchRun, Paper

from .conftest import SHARED, corpus_cases
from .factories import SAMPLES

# The project's own feed in arXiv's API format (samples/build.py): six papers.
SAMPLE_FEED = SAMPLES / "arxiv" / "avatars.xml"
SAMPLE_ERROR = SAMPLES / "arxiv" / "error_400.xml"


def test_fetch_creates_papers_and_queues_each_once(fake_arxiv, topic, django_capture_on_commit_callbacks, broker):
    fake_arxiv.reply(SAMPLE_FEED)
    with django_capture_on_commit_callbacks(execute=True):
        run = fetching.fetch_topic(topic)
    assert (run.status, run.found, run.created) == (FetchRun.Status.OK, 6, 6)
    assert Paper.objects.count() == 6
    assert set(Paper.objects.values_list("stage", flat=True)) == {Paper.Stage.FETCHED}
    assert broker.queue_size() == 6
    assert topic.papers.count() == 6
    query = fake_arxiv.api_requests()[0]
    assert "search_query=" in query and "cat%3Acs.CV" in query and "sortBy=submittedDate" in query


def test_fetching_twice_makes_no_duplicates(fake_arxiv, topic, django_capture_on_commit_callbacks, broker):
    fake_arxiv.reply(SAMPLE_FEED)
    with django_capture_on_commit_callbacks(execute=True):
        fetching.fetch_topic(topic)
        second = fetching.fetch_topic(topic)
    assert (second.found, second.created, second.updated) == (6, 0, 0)
    assert Paper.objects.count() == 6
    assert broker.queue_size() == 6


def fetch_v0_then_v1(fake_arxiv, topic, **between):
    """Fetch the sample feed with 2699.00001 as v0, update it with `between`, then fetch v1."""
    body = SAMPLE_FEED.read_bytes()
    fake_arxiv.reply(body.replace(b"2699.00001v1", b"2699.00001v0"))
    fetching.fetch_topic(topic)
    Paper.objects.filter(arxiv_id="2699.00001").update(**between)
    fake_arxiv.queue[:] = [(200, body, 0)]
    return fetching.fetch_topic(topic), Paper.objects.get(arxiv_id="2699.00001")


def test_a_new_version_is_processed_again(fake_arxiv, topic):
    run, paper = fetch_v0_then_v1(fake_arxiv, topic, stage=Paper.Stage.DRAFTED)
    assert (run.updated, paper.version, paper.stage) == (1, 1, Paper.Stage.FETCHED)


def test_a_new_version_of_a_published_paper_keeps_the_published_text(fake_arxiv, topic):
    _, paper = fetch_v0_then_v1(fake_arxiv, topic, stage=Paper.Stage.DRAFTED, status=Paper.Status.PUBLISHED,
                                published_at=timezone.now())
    assert (paper.version, paper.status) == (0, Paper.Status.PUBLISHED)
    assert paper.new_version["version"] == 1 and paper.new_version["arxiv_id"] == "2699.00001"
    assert paper.events.filter(step="fetch", outcome="skipped", message__contains="v1 is on arXiv").exists()


def test_since_stops_at_older_papers(fake_arxiv, topic):
    fake_arxiv.reply(SAMPLE_FEED)
    run = fetching.fetch_topic(topic, since=datetime(2026, 11, 21, tzinfo=dt_timezone.utc))
    assert (run.status, run.found) == (FetchRun.Status.OK, 0)
    fake_arxiv.reply(SAMPLE_FEED)
    run = fetching.fetch_topic(topic, since=datetime(2026, 11, 20, 14, 30, tzinfo=dt_timezone.utc))
    assert (run.status, run.found) == (FetchRun.Status.OK, 3)


@pytest.mark.parametrize("status, body, delay, message", corpus_cases(
    core=[
        (400, SAMPLE_ERROR, 0, "incorrect id format for 2699.x"),
        (503, b"Service Unavailable", 0, "503"),
        (200, SAMPLE_FEED, 3, "timed out"),
    ],
    shared=[(400, SHARED / "arxiv" / "new_error_http400_incorrect_id_format_abc.xml", 0, "incorrect id format for abc")],
))
def test_an_outage_fails_the_run_with_one_clear_line_and_no_papers(
    fake_arxiv, topic, caplog, status, body, delay, message
):
    fake_arxiv.reply(body, status=status, delay=delay)
    with caplog.at_level(logging.WARNING, logger="papers"):
        run = fetching.fetch_topic(topic)
    assert run.status == FetchRun.Status.FAILED
    assert message in run.error
    assert Paper.objects.count() == 0
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and message in warnings[0].getMessage()


def test_a_400_is_not_retried_but_a_503_is(fake_arxiv, topic, settings):
    settings.ARXIV_NUM_RETRIES = 2
    fake_arxiv.reply(SAMPLE_ERROR, status=400)
    fetching.fetch_topic(topic)
    assert len(fake_arxiv.api_requests()) == 1
    fake_arxiv.queue[:] = [(503, b"busy", 0)]
    fetching.fetch_topic(topic)
    assert len(fake_arxiv.api_requests()) == 1 + 3


@pytest.mark.parametrize("feed", corpus_cases(core=[SAMPLES / "arxiv" / "empty.xml"],
                                              shared=[SHARED / "arxiv" / "new_empty_result_id_0000.0000.xml"]))
def test_an_empty_result_fails_the_run_so_the_next_run_retries(fake_arxiv, topic, feed):
    fake_arxiv.reply(feed)
    run = fetching.fetch_topic(topic)
    assert run.status == FetchRun.Status.FAILED
    assert "no results" in run.error


def test_every_worker_waits_its_turn_at_one_pacing_point(db):
    assert pacing.reserve_slot("arxiv-test", 3) == 0
    second = pacing.reserve_slot("arxiv-test", 3)
    third = pacing.reserve_slot("arxiv-test", 3)
    assert 2.5 < second <= 3 and 5.5 < third <= 6
