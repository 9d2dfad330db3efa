"""The work on a paper: take it through its steps (papers.fetching makes the papers).

    fetched -> download -> downloaded -> extract -> extracted -> summarize
            -> summarized -> review -> drafted

Each step returns its results, and papers.lifecycle records them in the same
UPDATE that moves the stage on; every step is idempotent, so a worker killed
anywhere resumes at the step it was in. A worker claims a paper
(lifecycle.claim) and only proceeds if it won; a claim lapses after Q_TIMEOUT,
so the retry of a killed worker's task takes over.
"""

import logging
import re
import time
from datetime import timedelta

import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from . import arxiv_source, figures, isolation, lifecycle, oai, pdf, quality
from .models import Figure, Generation, Paper, Section, SectionRevision, ServiceAlert
from .summarizers import PaperText, SummarizerError, get_summarizer
from .summarizers.base import SECTION_KINDS, PaperPart

log = logging.getLogger(__name__)
Stage = Paper.Stage


class Retry(Exception):
    """A failure that trying again later may cure (a network error, a busy service).

    `wait_until`: when to try again, where that is known (a budget resets, an operator
    fixes a key); such waits do not count as attempts.
    """

    def __init__(self, message, wait_until=None):
        super().__init__(message)
        self.wait_until = wait_until


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
        changes.update(licence_changes(paper))
    return changes


def licence_changes(paper):
    """The paper's licence from OAI-PMH, as changes to save. Not knowing it fails nothing: the
    figures stay unpublished (the safe default) and an editor can check again from the admin."""
    try:
        return {"license": oai.fetch_licence(paper.arxiv_id), "license_checked_at": timezone.now()}
    except oai.LicenceUnavailable as exc:
        lifecycle.log_event(paper, "licence", "unknown", str(exc))
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
    summarizer = configured_summarizer()
    key = {"paper": paper, "paper_version": paper.version, "backend": summarizer.name,
           "model": summarizer.model, "prompt_version": summarizer.prompt_version, "round": 0}
    if not Generation.objects.filter(**key).exists():
        write_generation(paper, summarizer, key)
    return {"summarized_at": timezone.now()}


def configured_summarizer():
    try:
        return get_summarizer()
    except SummarizerError as exc:
        raise operator_problem(settings.SUMMARIZER, exc) from exc


def write_generation(paper, summarizer, key, user=None):
    """The one path to a summarizer, for the pipeline and for editors' regenerations alike: the
    result is stored before anything moves, so a paid call is never lost. An unusable backend
    raises the operator's alert; a busy one raises Retry."""
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
    generation, _ = Generation.objects.get_or_create(**key, defaults={
        "requested_by": user,
        "model_version": result.model_version,
        "language": result.language or topic_language(paper),
        "sections": result.as_json(),
        "flags": result.flags,
        "usage": result.usage,
        "seconds": round(time.monotonic() - started, 3),
    })
    return generation


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
    return {"review_at": timezone.now(), "flags": paper.flags, "flag_score": lifecycle.flag_score(paper)}


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


STEP_FUNCS = {
    Stage.FETCHED: download,
    Stage.DOWNLOADED: extract,
    Stage.EXTRACTED: summarize,
    Stage.SUMMARIZED: make_drafts,
}


def process_paper(paper_id):
    """Run every step the paper still needs. Returns its stage when it stops."""
    while True:
        paper = Paper.objects.filter(pk=paper_id).first()
        if paper is None:
            return None
        if paper.stage not in STEP_FUNCS:
            return paper.stage
        if not lifecycle.claim(paper):
            log.info("paper %s: %s is claimed or waiting for a retry", paper.arxiv_id, paper.stage)
            return paper.stage
        paper.refresh_from_db()
        if not run_step(paper):
            return Paper.objects.values_list("stage", flat=True).get(pk=paper_id)


def run_step(paper):
    name = lifecycle.STEPS[paper.stage][0]
    started = time.monotonic()
    try:
        changes = STEP_FUNCS[paper.stage](paper)
    except (pdf.PdfError, SummarizerError) as exc:  # retrying cannot help: the editor decides
        return record_failure(paper, str(exc), retryable=False)
    except Retry as exc:
        return record_failure(paper, str(exc), retryable=True, wait_until=exc.wait_until)
    except Exception as exc:  # a bug or a surprise: keep the paper and the error, stop the step
        log.exception("paper %s: step %s crashed", paper.arxiv_id, name)
        return record_failure(paper, f"{type(exc).__name__}: {exc}", retryable=True)
    seconds = time.monotonic() - started
    moved = lifecycle.advance(paper, changes, seconds)
    log.info("paper %s: %s done in %.2fs", paper.arxiv_id, name, seconds)
    return moved


def record_failure(paper, message, retryable, wait_until=None):
    give_up = lifecycle.fail_step(paper, message, retryable, wait_until)
    log.warning("paper %s: %s failed (attempt %d%s): %s", paper.arxiv_id, lifecycle.STEPS[paper.stage][0],
                paper.attempts, "" if give_up else ", will retry", message)
    return False


# --- editor-requested work -----------------------------------------------------------

def regenerate(paper_id, kind=None, user_id=None):
    """Ask the summarizer again (an editor's request): new drafts, the old text kept as history."""
    paper = Paper.objects.filter(pk=paper_id).first()
    if paper is None or not lifecycle.is_editable(paper):
        return None
    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    rounds = Generation.objects.filter(paper=paper, paper_version=paper.version)
    next_round = (rounds.aggregate(last=Max("round"))["last"] or 0) + 1
    try:
        summarizer = configured_summarizer()
        key = {"paper": paper, "paper_version": paper.version, "backend": summarizer.name,
               "model": summarizer.model, "prompt_version": summarizer.prompt_version, "round": next_round}
        generation = write_generation(paper, summarizer, key, user=user)
    except (SummarizerError, Retry) as exc:
        lifecycle.log_event(paper, "regenerate", "failed", str(exc), user=user)
        return None
    with transaction.atomic():
        for section_kind in [kind] if kind else SECTION_KINDS:
            add_draft(paper, generation, section_kind, user=user)
        lifecycle.refresh_flag_score(paper)
        lifecycle.back_to_review(paper, user, "regenerated")
        lifecycle.log_event(paper, "regenerate", "done", f"{kind or 'all sections'}: new draft, round {next_round}",
                            user=user)
    return generation.pk
