"""arXiv or the LLM down for an hour: nothing fails, everything waits and finishes afterwards.

The clock is simulated (time-machine) and moved in the resume schedule's 10-minute steps;
each step does what that schedule's task enqueues: due fetches, then due papers.
"""

from datetime import timedelta

import time_machine
from django.utils import timezone

from papers import lifecycle, tasks
from papers.ingest import fetching
from papers.models import FetchRun, Paper

from .factories import SAMPLES
from .fake_llm import FakeLLM, fast_llm_settings, gemini_error, gemini_ok
from .test_pipeline import SAMPLE, make_paper

SAMPLE_FEED = SAMPLES / "arxiv" / "avatars.xml"
Stage = Paper.Stage
UNAVAILABLE = (503, gemini_error(503, "UNAVAILABLE", "The model is overloaded. Please try again later."), {}, 0)


def run_the_resume_schedule(clock, start, minutes, before_each=lambda minute: None):
    """Every 10 simulated minutes: run due fetches and due papers, as `resume_papers` would enqueue them."""
    fetched = []
    for minute in range(10, minutes + 1, 10):
        clock.move_to(start + timedelta(minutes=minute))
        before_each(minute)
        for topic in fetching.topics_to_refetch():
            if tasks.fetch_topic(topic.pk).startswith("ok"):
                fetched.append(minute)
        for paper in lifecycle.resumable():
            tasks.process_paper(paper.pk)
    return fetched


def test_an_hour_long_arxiv_outage_delays_the_fetch_and_loses_nothing(fake_arxiv, topic, settings):
    settings.ARXIV_NUM_RETRIES = 0
    fake_arxiv.reply(SAMPLE_FEED)
    fake_arxiv.down = True
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        assert tasks.fetch_topic(topic.pk).startswith("failed")
        fetched = run_the_resume_schedule(
            clock, start, 180, before_each=lambda minute: setattr(fake_arxiv, "down", minute < 60))

    assert fetched == [60], "fetched as soon as a retry fell after the outage, and only once"
    runs = list(topic.fetch_runs.order_by("started_at").values_list("status", flat=True))
    # Waits of 5, 15 and 30 minutes: tried at 0, 10, 30 and 60 minutes, four requests in all.
    assert runs == [FetchRun.Status.FAILED] * 3 + [FetchRun.Status.OK]
    assert len(fake_arxiv.api_requests()) == 4
    assert topic.papers.count() == 6
    assert "503" in topic.fetch_runs.filter(status=FetchRun.Status.FAILED).first().error


def test_papers_wait_out_pdf_host_and_llm_outages_and_finish_once(topic, fake_arxiv, settings, monkeypatch):
    """The PDF host is down for the first hour and the LLM for the first two: all three papers end in review."""
    llm = FakeLLM()
    settings.SUMMARIZER = "gemini"
    settings.GEMINI_API_KEY = "test-key"
    settings.GEMINI_BASE_URL = llm.url
    fast_llm_settings(settings, monkeypatch)
    papers = [make_paper(topic, fake_arxiv, SAMPLE, arxiv_id=f"2401.0000{n}")
              for n in (1, 2, 3)]
    llm.queue[:] = [UNAVAILABLE]
    fake_arxiv.down = True
    reached_review = {}

    def outages(minute):
        fake_arxiv.down = minute < 60
        if minute >= 120:
            llm.queue[:] = [(200, gemini_ok(), {}, 0)]
        for paper in Paper.objects.filter(stage=Stage.DRAFTED):
            reached_review.setdefault(paper.arxiv_id, minute)

    start = timezone.now()
    try:
        with time_machine.travel(start, tick=False) as clock:
            for paper in papers:
                assert tasks.process_paper(paper.pk) == Stage.FETCHED
            run_the_resume_schedule(clock, start, 240, before_each=outages)
    finally:
        llm.close()

    for paper in papers:
        paper.refresh_from_db()
        assert (paper.stage, paper.error) == (Stage.DRAFTED, "")
        assert paper.generations.count() == 1
        events = list(paper.events.values_list("step", "outcome"))
        assert ("download", "retry") in events and ("summarize", "retry") in events
        assert not any(outcome == "failed" for _, outcome in events)
        assert [step for step, outcome in events if outcome == "done"] == ["download", "extract", "summarize",
                                                                            "review"]
    assert set(reached_review) == {p.arxiv_id for p in papers}
    assert all(120 <= minute <= 180 for minute in reached_review.values()), reached_review
