"""The work on papers: fetch a topic's new papers, then take each through its steps.

    fetched -> download -> downloaded -> extract -> extracted -> summarize
            -> summarized -> review -> in_review

Each step records its result on the paper in the same UPDATE that moves the
state on, and every step is idempotent, so a worker killed anywhere resumes at
the step it was in. A worker claims a paper with a conditional UPDATE (state
unchanged, no live claim) and the row count says whether it won; a claim
lapses after Q_TIMEOUT, so the retry of a killed worker's task takes over.
"""

import logging
import re
import shutil
import time
from datetime import timedelta

import requests
from django.conf import settings
from django.db import transaction
from django.db.models import F, Max, Q
from django.utils import timezone

from . import arxiv_source, figures, isolation, licences, pdf, quality
from .models import FetchRun, Figure, Generation, Paper, PaperEvent, Section, SectionRevision, ServiceAlert, Topic
from .summarizers import PaperText, SummarizerError, get_summarizer
from .summarizers.base import SECTION_KINDS, PaperPart

log = logging.getLogger(__name__)
State = Paper.State

SAMPLES_DIR = settings.BASE_DIR / "samples"
# The shipped sample papers are our own fictional ones (samples/build.py).
SAMPLES_LICENCE = "http://creativecommons.org/licenses/by/4.0/"
# Retryable failures wait longer each time, up to an hour, so that with the default
# PAPER_MAX_ATTEMPTS (8) a paper rides out an outage of almost four hours before it fails.
BACKOFF_SECONDS = (60, 300, 900, 1800, 3600)
# After a failed arXiv query the topic is fetched again this many minutes later (the
# resume schedule looks every 10 minutes), not only at its next daily run.
FETCH_BACKOFF_MINUTES = (5, 15, 30, 60)


class Retry(Exception):
    """A failure that trying again later may cure (a network error, a busy service).

    `wait_until`: when to try again, where that is known (a budget resets, an operator
    fixes a key); such waits do not count as attempts.
    """

    def __init__(self, message, wait_until=None):
        super().__init__(message)
        self.wait_until = wait_until


# --- fetching ----------------------------------------------------------------------

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
        target = settings.MEDIA_ROOT / pdf_relpath(record.arxiv_id, record.version)
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
    from .tasks import enqueue_paper

    created = updated = 0
    with transaction.atomic():
        for record in records:
            paper = Paper.objects.filter(arxiv_id=record.arxiv_id).first()
            if paper is None:
                paper = Paper.objects.create(arxiv_id=record.arxiv_id, **record.fields())
                created += 1
            elif record.version > paper.version:
                if paper.published_at:
                    # Readers keep the reviewed text; an editor decides when to process the new version.
                    if paper.new_version.get("version") != record.version:
                        Paper.objects.filter(pk=paper.pk).update(new_version=record.as_json())
                        log_event(paper, "fetch", "skipped",
                                  f"v{record.version} is on arXiv; the published v{paper.version} is kept "
                                  "until an editor processes the new version.")
                    paper.topics.add(topic)
                    continue
                paper.fetched_at = timezone.now()
                restart_with(paper, record)
                updated += 1
            else:
                paper.topics.add(topic)
                continue
            paper.topics.add(topic)
            log_event(paper, "fetch", "done", f"v{paper.version} from arXiv")
            transaction.on_commit(lambda pk=paper.pk: enqueue_paper(pk))
    return created, updated


def restart_with(paper, record):
    """Take a new arXiv version's metadata and send the paper through the pipeline again."""
    for name, value in record.fields().items():
        setattr(paper, name, value)
    paper.state = State.FETCHED
    paper.attempts = 0
    paper.error = paper.failed_step = ""
    paper.claimed_until = None
    paper.save()


# --- one paper, step by step -----------------------------------------------------------

def pdf_relpath(arxiv_id, version):
    return f"papers/{safe_name(arxiv_id)}/v{version}/paper.pdf"


def safe_name(arxiv_id):
    return re.sub(r"[^A-Za-z0-9.\-]", "_", arxiv_id)


def download(paper):
    relpath = pdf_relpath(paper.arxiv_id, paper.version)
    target = settings.MEDIA_ROOT / relpath
    if not (target.exists() and target.stat().st_size > 0):
        fetch_pdf(paper.pdf_url, target)
    changes = {"pdf_file": relpath, "pdf_bytes": target.stat().st_size, "downloaded_at": timezone.now()}
    if not paper.license:
        changes.update(check_licence(paper))
    return changes


def check_licence(paper):
    """The paper's licence from OAI-PMH, as changes to save. Not knowing it fails nothing: the
    figures stay unpublished (the safe default) and an editor can check again from the admin."""
    try:
        return {"license": licences.fetch_licence(paper.arxiv_id), "license_checked_at": timezone.now()}
    except licences.LicenceUnavailable as exc:
        log_event(paper, "licence", "unknown", str(exc))
        log.warning("paper %s: licence unknown: %s", paper.arxiv_id, exc)
        return {}


def fetch_pdf(url, target):
    """Stream a PDF to `target`, refusing anything over the size cap or not a PDF."""
    partial = target.with_suffix(".part")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with arxiv_source.session().get(url, stream=True, timeout=settings.PDF_DOWNLOAD_TIMEOUT_SECONDS) as resp:
            if resp.status_code == 429 or resp.status_code >= 500:
                raise Retry(f"arXiv answered {resp.status_code} for {url}")
            if resp.status_code != 200:
                raise pdf.PdfError(f"arXiv answered {resp.status_code} for {url}")
            size = 0
            with open(partial, "wb") as out:
                for chunk in resp.iter_content(64 * 1024):
                    size += len(chunk)
                    if size > settings.PDF_MAX_BYTES:
                        raise pdf.PdfError(
                            f"the PDF is over the {settings.PDF_MAX_BYTES / 1e6:.0f} MB limit; download stopped"
                        )
                    out.write(chunk)
        with open(partial, "rb") as fh:
            if fh.read(5) != b"%PDF-":
                raise pdf.PdfError(
                    f"{url} did not send a PDF (Content-Type {resp.headers.get('Content-Type', 'unknown')})"
                )
        partial.replace(target)
    except requests.RequestException as exc:
        raise Retry(f"downloading {url} failed: {exc}") from exc
    except OSError as exc:  # a full disk or an unwritable folder: the operator fixes it, the paper waits
        raise Retry(f"the PDF could not be written under MEDIA_ROOT: {exc}") from exc
    finally:
        partial.unlink(missing_ok=True)


def read_pdf(path, figure_dir, url_prefix):
    with pdf.open_pdf(path) as doc:
        found = figures.find_all(doc)
        return pdf.extract_text(doc, found), figures.extract_figures(doc, figure_dir, url_prefix, found)


# Figure files are named by the hash of their pixels, so a figure unchanged in a new version
# (or shared by two papers) is stored once.
FIGURE_DIR = "figures"


def extract(paper):
    path = settings.MEDIA_ROOT / paper.pdf_file
    try:
        extraction, found = isolation.run_isolated(
            read_pdf, path, settings.MEDIA_ROOT / FIGURE_DIR, FIGURE_DIR,
            timeout=settings.PDF_EXTRACT_TIMEOUT_SECONDS, memory_bytes=settings.PDF_EXTRACT_MEMORY_MB * 2**20,
            expected=(pdf.PdfError, OSError),
        )
    except isolation.IsolatedError as exc:
        raise pdf.PdfError(f"reading the PDF {exc}") from exc
    except OSError as exc:
        raise Retry(f"the figures could not be written under MEDIA_ROOT: {exc}") from exc
    with transaction.atomic():
        Figure.objects.filter(paper=paper, paper_version=paper.version).delete()
        Figure.objects.bulk_create(
            Figure(paper=paper, paper_version=paper.version, **figure) for figure in found
        )
    return {
        "extraction": extraction,
        "page_count": extraction["pages"],
        "language": extraction["quality"]["language"],
        "flags": extraction["flags"],
        "extracted_at": timezone.now(),
    }


def paper_text(paper):
    """What the summarizer reads: metadata from arXiv, sections from the PDF."""
    extraction = paper.extraction or {}
    parts = {}
    for kind in ("introduction", "method", "experiments", "conclusion"):
        sections, found_by = pdf.parts_for(extraction, kind)
        parts[kind] = PaperPart(
            text="\n\n".join(s["text"] for s in sections),
            titles=[s["title"] for s in sections],
            pages=[min(s["pages"][0] for s in sections), max(s["pages"][1] for s in sections)] if sections else [],
            found_by=found_by,
        )
    return PaperText(
        title=paper.title,
        abstract=paper.abstract,
        language=paper.language or "en",
        parts=parts,
        text_ok=not any(f["code"] in ("no_text", "garbled_text") for f in paper.flags),
        own_urls=tuple(u for u in (paper.project_url, paper.code_url) if u),
    )


def topic_language(paper):
    topic = paper.topics.order_by("pk").first()
    return topic.language if topic else "en"


OPERATOR_WAIT = timedelta(hours=1)


def summarize(paper):
    """Call the summarizer once per (paper version, backend, model, prompt version)."""
    try:
        summarizer = get_summarizer()
    except SummarizerError as exc:
        raise operator_problem(settings.SUMMARIZER, exc) from exc
    key = {
        "paper": paper,
        "paper_version": paper.version,
        "backend": summarizer.name,
        "model": summarizer.model,
        "prompt_version": summarizer.prompt_version,
        "round": 0,
    }
    if not Generation.objects.filter(**key).exists():
        started = time.monotonic()
        try:
            result = summarizer.summarize(paper_text(paper), topic_language(paper))
        except SummarizerError as exc:
            if exc.operator:
                raise operator_problem(summarizer.name, exc) from exc
            if exc.retryable:
                raise Retry(str(exc), wait_until=exc.retry_at) from exc
            raise
        ServiceAlert.objects.filter(name=summarizer.name).delete()
        Generation.objects.get_or_create(**key, defaults={
            "model_version": result.model_version,
            "language": result.language or topic_language(paper),
            "sections": result.as_json(),
            "flags": result.flags,
            "usage": result.usage,
            "seconds": round(time.monotonic() - started, 3),
        })
    return {"summarized_at": timezone.now()}


def operator_problem(name, exc):
    """The backend is unusable as configured: one alert for the operator; papers wait, they do not fail."""
    now = timezone.now()
    alert, created = ServiceAlert.objects.get_or_create(name=name, defaults={"message": str(exc)})
    if not created:
        ServiceAlert.objects.filter(pk=name).update(message=str(exc), last_seen=now)
    log.error("summarizer %s is unusable: %s", name, exc)
    return Retry(f"Waiting for the operator: {exc}", wait_until=now + OPERATOR_WAIT)


def make_drafts(paper):
    """Turn the latest generation into draft sections with their quality flags."""
    generation = paper.generations.filter(paper_version=paper.version).latest("created_at", "pk")
    paper.flags = [f for f in paper.flags if f.get("source") != "summarizer"] + [
        {**f, "source": "summarizer"} for f in generation.flags]
    with transaction.atomic():
        for kind in SECTION_KINDS:
            add_draft(paper, generation, kind)
    return {"review_at": timezone.now(), "flags": paper.flags, "flag_score": paper_flag_score(paper)}


# As the digest reads: imported posts carry their numbered "details" before the method.
SECTION_ORDER = {"summary": 0, "key_takeaways": 1, "details": 2, "method": 3, "conclusion": 4}


def add_draft(paper, generation, kind, user=None):
    """A new current draft of one section from `generation`; the one it replaces stays as history.

    Never touches an existing section's body: an editor's work is only ever
    superseded by a new row, not overwritten.
    """
    existing = Section.objects.filter(generation=generation, kind=kind).first()
    if existing:
        return existing
    written = generation.sections.get(kind) or {}
    text = written.get("text", "")
    flags = quality.check_section(kind, text, quality.context_for(paper, generation))
    for old in Section.objects.filter(paper=paper, kind=kind, is_current=True):
        Section.objects.filter(pk=old.pk).update(is_current=False)
        SectionRevision.objects.create(section=old, user=user, action="replaced", before=old.body, after=text)
    return Section.objects.create(
        paper=paper, generation=generation, kind=kind, order=SECTION_ORDER[kind],
        generated=text, body=text, sources=written.get("sources", []),
        flags=flags, flag_score=quality.score(flags),
    )


def paper_flag_score(paper):
    """Paper-level flags plus those of its current sections: the review queue's first key."""
    sections = Section.objects.filter(paper=paper, is_current=True).values_list("flag_score", flat=True)
    return quality.score(paper.flags) + sum(sections)


STEPS = {
    State.FETCHED: ("download", download, State.DOWNLOADED),
    State.DOWNLOADED: ("extract", extract, State.EXTRACTED),
    State.EXTRACTED: ("summarize", summarize, State.SUMMARIZED),
    State.SUMMARIZED: ("review", make_drafts, State.IN_REVIEW),
}
STEP_START = {name: state for state, (name, _, _) in STEPS.items()}


def claim(paper):
    """Take the paper for one step. False if another worker holds it or its state moved."""
    now = timezone.now()
    won = (
        Paper.objects.filter(pk=paper.pk, state=paper.state)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .update(claimed_until=now + timedelta(seconds=settings.Q_TIMEOUT), attempts=F("attempts") + 1)
    )
    return won == 1


def process_paper(paper_id):
    """Run every step the paper still needs. Returns its state when it stops."""
    while True:
        paper = Paper.objects.filter(pk=paper_id).first()
        if paper is None:
            return None
        if paper.state not in STEPS:
            return paper.state
        if not claim(paper):
            log.info("paper %s: %s is claimed or waiting for a retry", paper.arxiv_id, paper.state)
            return paper.state
        paper.refresh_from_db()
        if not run_step(paper):
            return Paper.objects.values_list("state", flat=True).get(pk=paper_id)


def run_step(paper):
    name, func, next_state = STEPS[paper.state]
    started = time.monotonic()
    try:
        changes = func(paper)
    except (pdf.PdfError, SummarizerError) as exc:  # retrying cannot help: the editor decides
        return record_failure(paper, name, str(exc), retryable=False)
    except Retry as exc:
        return record_failure(paper, name, str(exc), retryable=True, wait_until=exc.wait_until)
    except Exception as exc:  # a bug or a surprise: keep the paper and the error, stop the step
        log.exception("paper %s: step %s crashed", paper.arxiv_id, name)
        return record_failure(paper, name, f"{type(exc).__name__}: {exc}", retryable=True)
    seconds = time.monotonic() - started
    with transaction.atomic():
        moved = Paper.objects.filter(pk=paper.pk, state=paper.state).update(
            state=next_state, claimed_until=None, attempts=0, error="", failed_step="", **changes
        )
        if moved:
            log_event(paper, name, "done", seconds=seconds)
    log.info("paper %s: %s done in %.2fs", paper.arxiv_id, name, seconds)
    return bool(moved)


def record_failure(paper, step, message, retryable, wait_until=None):
    """Keep the error and the attempt count; give up after PAPER_MAX_ATTEMPTS.

    A known wait (a budget, an operator's fix) is not an attempt: the paper just waits.
    """
    give_up = not retryable or (wait_until is None and paper.attempts >= settings.PAPER_MAX_ATTEMPTS)
    now = timezone.now()
    with transaction.atomic():
        if give_up:
            Paper.objects.filter(pk=paper.pk).update(
                state=State.FAILED, failed_step=step, error=message, failed_at=now, claimed_until=None
            )
        elif wait_until:
            Paper.objects.filter(pk=paper.pk).update(
                error=message, failed_step=step, claimed_until=wait_until, attempts=F("attempts") - 1
            )
        else:
            wait = BACKOFF_SECONDS[min(paper.attempts, len(BACKOFF_SECONDS)) - 1]
            Paper.objects.filter(pk=paper.pk).update(
                error=message, failed_step=step, claimed_until=now + timedelta(seconds=wait)
            )
        log_event(paper, step, "failed" if give_up else "retry", message)
    log.warning("paper %s: %s failed (attempt %d%s): %s", paper.arxiv_id, step, paper.attempts,
                "" if give_up else ", will retry", message)
    return False


def retry_failed(paper):
    """Put a failed paper back at the step that failed, with a fresh attempt count."""
    start = STEP_START.get(paper.failed_step)
    if paper.state != State.FAILED or start is None:
        return False
    moved = Paper.objects.filter(pk=paper.pk, state=State.FAILED).update(
        state=start, attempts=0, claimed_until=None, error=""
    )
    if moved:
        log_event(paper, paper.failed_step, "retry", "retried by an editor")
        from .tasks import enqueue_paper

        transaction.on_commit(lambda: enqueue_paper(paper.pk))
    return bool(moved)


def resumable():
    """Papers with a step to run and no live claim: lost tasks, retries that are due."""
    return Paper.objects.needing_work().filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=timezone.now())
    )


def log_event(paper, step, outcome, message="", seconds=0, user=None):
    PaperEvent.objects.create(paper=paper, step=step, outcome=outcome, message=message[:5000],
                              seconds=round(seconds, 3), user=user)


# --- editor-requested work -----------------------------------------------------------

def regenerate(paper_id, kind=None, user_id=None):
    """Ask the summarizer again (an editor's request): new drafts, the old text kept as history."""
    paper = Paper.objects.filter(pk=paper_id).first()
    if paper is None or paper.state not in (State.IN_REVIEW, State.PUBLISHED):
        return None
    try:
        summarizer = get_summarizer()
    except SummarizerError as exc:
        log_event(paper, "regenerate", "failed", str(exc), user=_user(user_id))
        return None
    rounds = Generation.objects.filter(paper=paper, paper_version=paper.version)
    next_round = (rounds.aggregate(last=Max("round"))["last"] or 0) + 1
    user = _user(user_id)
    started = time.monotonic()
    try:
        result = summarizer.summarize(paper_text(paper), topic_language(paper))
    except SummarizerError as exc:
        log_event(paper, "regenerate", "failed", str(exc), user=user)
        return None
    with transaction.atomic():
        generation = Generation.objects.create(
            paper=paper, paper_version=paper.version, backend=summarizer.name, model=summarizer.model,
            prompt_version=summarizer.prompt_version, round=next_round, requested_by=user,
            model_version=result.model_version, sections=result.as_json(), usage=result.usage,
            language=result.language or topic_language(paper), flags=result.flags,
            seconds=round(time.monotonic() - started, 3),
        )
        for section_kind in [kind] if kind else SECTION_KINDS:
            add_draft(paper, generation, section_kind, user=user)
        Paper.objects.filter(pk=paper.pk).update(flag_score=paper_flag_score(paper))
        Paper.objects.filter(pk=paper.pk, state=State.PUBLISHED).update(state=State.IN_REVIEW)
        log_event(paper, "regenerate", "done", f"{kind or 'all sections'}: new draft, round {next_round}", user=user)
    return generation.pk


def apply_new_version(paper, user=None):
    """Process the waiting arXiv version of a published paper; readers keep the published text."""
    from .tasks import enqueue_paper

    record = arxiv_source.PaperRecord.from_json(paper.new_version)
    with transaction.atomic():
        paper.new_version = {}
        restart_with(paper, record)
        log_event(paper, "fetch", "done", f"v{paper.version} taken up by an editor", user=user)
        transaction.on_commit(lambda: enqueue_paper(paper.pk))


def _user(user_id):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(pk=user_id).first() if user_id else None
