"""Drafts: a generation's sections become editable drafts with their quality flags, and an editor's
regeneration adds new drafts while the text it replaces stays as history."""

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from .. import generation, lifecycle
from ..models import Generation, Paper, Section, SectionRevision
from ..summarizers import SummarizerError
from ..summarizers.base import SECTION_KINDS
from . import quality


def make_drafts(paper):
    """Turn the latest generation into draft sections with their quality flags."""
    generation = paper.generations.filter(paper_version=paper.version).latest("created_at", "pk")
    paper.flags = [f for f in paper.flags if f.get("source") != "summarizer"] + [
        {**f, "source": "summarizer"} for f in generation.flags]
    with transaction.atomic():
        for kind in kinds_of(generation):
            add_draft(paper, generation, kind)
    return {"review_at": timezone.now(), "flags": paper.flags, "flag_score": lifecycle.flag_score(paper)}


# As the digest reads: imported posts carry their numbered "details" before the method; a translated abstract
# is shown with the abstract, not among the sections.
SECTION_ORDER = {"summary": 0, "key_takeaways": 1, "details": 2, "method": 3, "conclusion": 4,
                 "translated_abstract": 5}
TRANSLATED = Section.Kind.TRANSLATED_ABSTRACT


def kinds_of(generation):
    """The sections a generation wrote: every digest section, and the translated abstract if there is one."""
    translated = (generation.sections.get(TRANSLATED) or {}).get("text")
    return SECTION_KINDS + ((TRANSLATED,) if translated else ())


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


def regenerate(paper_id, kind=None, user_id=None):
    """Ask the summarizer again (an editor's request): new drafts, the old text kept as history."""
    paper = Paper.objects.filter(pk=paper_id).first()
    if paper is None or not lifecycle.is_editable(paper):
        return None
    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    rounds = Generation.objects.filter(paper=paper, paper_version=paper.version)
    next_round = (rounds.aggregate(last=Max("round"))["last"] or 0) + 1
    try:
        summarizer = generation.configured_summarizer()
        key = generation.generation_key(paper, summarizer, round=next_round)
        written = generation.write_generation(paper, summarizer, key, user=user)
    except (SummarizerError, lifecycle.Retry) as exc:
        lifecycle.log_event(paper, "regenerate", "failed", str(exc), user=user)
        return None
    replaced, kept = [], []
    with transaction.atomic():
        for section_kind in [kind] if kind else kinds_of(written):
            why = keep_current(paper, written, section_kind)
            if why:
                kept.append(f"{section_kind} {why}")
                continue
            add_draft(paper, written, section_kind, user=user)
            replaced.append(section_kind)
        lifecycle.refresh_flag_score(paper)
        if replaced:
            lifecycle.back_to_review(paper, user, "regenerated")
        outcome = f"round {next_round}: " + "; ".join(
            ([f"new draft of {', '.join(replaced)}"] if replaced else []) + kept)
        lifecycle.log_event(paper, "regenerate", "done" if replaced else "skipped", outcome, user=user)
    return written.pk


def keep_current(paper, written, kind):
    """Why a regenerated section does not replace the current one, or "" if it does: the same text again is
    not a new draft, and text in another language than the topic's does not replace the topic's language."""
    current = Section.objects.filter(paper=paper, kind=kind, is_current=True).first()
    text = (written.sections.get(kind) or {}).get("text", "")
    if current is None:
        return ""
    if text.strip() == current.body.strip():
        return "came back the same; kept"
    language = generation.topic_language(paper)
    if quality.written_in(current.body, language) and not quality.written_in(text, language):
        return f"came back in another language than the topic's ({language}); kept"
    return ""
