"""Fetching: a topic's arXiv query (or the shipped samples) made into papers.

New papers start the pipeline, a new arXiv version restarts it (papers.lifecycle
decides what happens to a published paper), and a version already known is skipped.
"""

import logging
import shutil
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .. import lifecycle, pipeline
from ..models import FetchRun, Paper, Topic
from . import arxiv_source

log = logging.getLogger(__name__)

SAMPLES_DIR = settings.BASE_DIR / "samples"
# The shipped sample papers are our own fictional ones (samples/build.py).
SAMPLES_LICENCE = "http://creativecommons.org/licenses/by/4.0/"
# After a failed arXiv query the topic is fetched again this many minutes later (the
# resume schedule looks every 10 minutes), not only at its next daily run.
FETCH_BACKOFF_MINUTES = (5, 15, 30, 60)


def fetch_topic(topic, since=None, progress=None):
    """Run the topic's arXiv query and upsert what it finds. Returns the FetchRun.

    An outage, a timeout or an error feed leaves no paper half-made: the run is
    recorded as failed, and `topics_to_refetch` brings the topic back soon.
    """
    run = FetchRun.objects.create(topic=topic, source=topic.arxiv_query())
    try:
        records = arxiv_source.search(topic.arxiv_query(), topic.papers_per_run, since=since, progress=progress)
    except arxiv_source.ArxivUnavailable as exc:
        log.warning("fetch %s failed: %s", topic.slug, exc)
        FetchRun.objects.filter(pk=run.pk).update(
            status=FetchRun.Status.FAILED, error=str(exc), finished_at=timezone.now()
        )
        run.refresh_from_db()
        return run
    return finish_run(run, topic, records)


def topics_to_refetch(now=None):
    """Active topics whose last fetch failed and whose wait after it is over.

    The wait grows with the failures in a row, up to an hour, and never stops: one
    query an hour to a broken arXiv costs nothing, and the topic catches up the hour it is back.
    """
    now = now or timezone.now()
    due = []
    for topic in Topic.objects.filter(active=True):
        runs = list(topic.fetch_runs.order_by("-started_at").values_list("status", "started_at")
                    [: len(FETCH_BACKOFF_MINUTES)])
        failures = 0
        for status, _ in runs:
            if status != FetchRun.Status.FAILED:
                break
            failures += 1
        if failures and runs[0][1] + timedelta(minutes=FETCH_BACKOFF_MINUTES[failures - 1]) <= now:
            due.append(topic)
    return due


def ingest_samples(topic):
    """Ingest the sample corpus shipped in samples/ as if arXiv had sent it."""
    feed = SAMPLES_DIR / "arxiv" / "avatars.xml"
    run = FetchRun.objects.create(topic=topic, source=f"samples: {feed.relative_to(settings.BASE_DIR)}")
    records = arxiv_source.records_from_feed_file(feed)
    for record in records:
        record.license = SAMPLES_LICENCE
        # Put each PDF where the download step would; that step then reuses it.
        target = settings.MEDIA_ROOT / pipeline.pdf_relpath(record.arxiv_id, record.version)
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(SAMPLES_DIR / "pdfs" / f"{record.arxiv_id}v{record.version}.pdf", target)
    return finish_run(run, topic, records)


def finish_run(run, topic, records):
    created, updated = upsert_papers(topic, records)
    FetchRun.objects.filter(pk=run.pk).update(
        status=FetchRun.Status.OK, found=len(records), created=created, updated=updated,
        finished_at=timezone.now(),
    )
    run.refresh_from_db()
    log.info("fetch %s: %d found, %d new, %d new versions", topic.slug, len(records), created, updated)
    return run


def upsert_papers(topic, records):
    """Create new papers, restart papers with a new version, skip known versions."""
    created = updated = 0
    for record in records:
        # A transaction per paper, taking the paper before its topics as every transition does: one across the
        # whole fetch would hold the topics while it waited for a paper that a publication holds.
        with transaction.atomic():
            paper = Paper.objects.filter(arxiv_id=record.arxiv_id).first()
            if paper is None:
                lifecycle.create(topic, arxiv_id=record.arxiv_id, **record.fields())
                created += 1
                continue
            lifecycle.add_topic(paper, topic)
            if record.version > paper.version and lifecycle.new_version(paper, record):
                updated += 1
    return created, updated


