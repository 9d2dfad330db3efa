"""The one path to a summarizer, for the pipeline's summarize step and for editors' regenerations:
what the summarizer reads of a paper, the call, and the stored Generation."""

import logging
import time
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from . import lifecycle
from .ingest import pdf
from .models import Generation, ServiceAlert
from .summarizers import PaperText, SummarizerError, get_summarizer
from .summarizers.base import PaperPart

log = logging.getLogger(__name__)


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


def configured_summarizer():
    try:
        return get_summarizer()
    except SummarizerError as exc:
        raise operator_problem(settings.SUMMARIZER, exc) from exc


def generation_key(paper, summarizer, round):
    """What a generation is unique by: one paid call per paper version, backend, model, prompt and round."""
    return {"paper": paper, "paper_version": paper.version, "backend": summarizer.name,
            "model": summarizer.model, "prompt_version": summarizer.prompt_version, "round": round}


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
            raise lifecycle.Retry(str(exc), wait_until=exc.retry_at) from exc
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
    return lifecycle.Retry(f"Waiting for the operator: {exc}", wait_until=now + OPERATOR_WAIT)
