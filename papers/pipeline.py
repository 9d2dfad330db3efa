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

import requests
import urllib3
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from . import generation, lifecycle
from .editorial import drafts
from .ingest import arxiv_source, figures, isolation, oai, pdf
from .models import Figure, Generation, Paper
from .summarizers import SummarizerError

log = logging.getLogger(__name__)
Stage = Paper.Stage


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


def body_chunks(resp, deadline, url):
    """The response body as it arrives, stopped at `deadline` (time.monotonic()) however slowly it trickles in:
    each read returns what one receive brought, so the deadline is checked between receives."""
    while True:
        if time.monotonic() > deadline:
            raise lifecycle.Retry(f"downloading {url} took over {settings.PDF_DOWNLOAD_TIMEOUT_SECONDS:g} s "
                                  "(PDF_DOWNLOAD_TIMEOUT_SECONDS); stopped")
        try:
            chunk = resp.raw.read1(64 * 1024)
        except urllib3.exceptions.HTTPError as exc:  # a stall past the read timeout among them
            raise lifecycle.Retry(f"downloading {url} failed: {exc}") from exc
        if not chunk:
            return
        yield chunk


def fetch_pdf(url, target):
    """Stream a PDF to `target`, its body within PDF_DOWNLOAD_TIMEOUT_SECONDS of the answer, refusing anything over
    the size cap or not a PDF."""
    partial = target.with_suffix(".part")
    seconds = settings.PDF_DOWNLOAD_TIMEOUT_SECONDS
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        # Identity encoding: each read then returns the bytes one receive brought (a decoder may wait for more).
        # A host silent for PDF_STALL_SECONDS fails the read, so the deadline is late by that at most.
        with arxiv_source.session().get(url, stream=True, headers={"Accept-Encoding": "identity"},
                                        timeout=(seconds, min(seconds, settings.PDF_STALL_SECONDS))) as resp:
            # From here: the pacing wait before the request is not the download's.
            deadline = time.monotonic() + seconds
            if resp.status_code == 429 or resp.status_code >= 500:
                raise lifecycle.Retry(f"arXiv answered {resp.status_code} for {url}")
            if resp.status_code != 200:
                raise pdf.PdfError(f"arXiv answered {resp.status_code} for {url}")
            size = 0
            with open(partial, "wb") as out:
                for chunk in body_chunks(resp, deadline, url):
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
        raise lifecycle.Retry(f"downloading {url} failed: {exc}") from exc
    except OSError as exc:  # a full disk or an unwritable folder: the operator fixes it, the paper waits
        raise lifecycle.Retry(f"the PDF could not be written under MEDIA_ROOT: {exc}") from exc
    finally:
        partial.unlink(missing_ok=True)


def read_pdf(path, figure_dir, url_prefix):
    with pdf.open_pdf(path) as doc:
        found = figures.find_all(doc)
        return pdf.extract_text(doc, found), figures.extract_figures(doc, figure_dir, url_prefix, found)


def extract(paper):
    path = settings.MEDIA_ROOT / paper.pdf_file
    try:
        extraction, found = isolation.run_isolated(
            read_pdf, path, settings.MEDIA_ROOT / figures.MEDIA_FOLDER, figures.MEDIA_FOLDER,
            timeout=settings.PDF_EXTRACT_TIMEOUT_SECONDS, memory_bytes=settings.PDF_EXTRACT_MEMORY_MB * 2**20,
            expected=(pdf.PdfError, OSError),
        )
    except isolation.IsolatedError as exc:
        raise pdf.PdfError(f"reading the PDF {exc}") from exc
    except OSError as exc:
        raise lifecycle.Retry(f"the figures could not be written under MEDIA_ROOT: {exc}") from exc
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


def summarize(paper):
    """Call the summarizer once per (paper version, backend, model, prompt version)."""
    summarizer = generation.configured_summarizer()
    key = generation.generation_key(paper, summarizer, round=0)
    if not Generation.objects.filter(**key).exists():
        generation.write_generation(paper, summarizer, key)
    return {"summarized_at": timezone.now()}


STEP_FUNCS = {
    Stage.FETCHED: download,
    Stage.DOWNLOADED: extract,
    Stage.EXTRACTED: summarize,
    Stage.SUMMARIZED: drafts.make_drafts,
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
    except lifecycle.Retry as exc:
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


