"""Editorial actions on sections and figures as plain functions; the admin's views and actions
call these, and papers.lifecycle for every change of a paper's stage or status.

Rules they keep:
- nothing an editor typed is lost: every body change is a SectionRevision, every
  change of stage or status a PaperEvent, both with the user;
- a save names the section version it was made from; a stale save is refused
  with both texts (Conflict), never applied over someone else's;
- editing an approved section sends it back to draft;
- readers see `published_body`, copied at publication, so edits and new versions
  reach them only when the paper is published again.
"""

import re
from collections import defaultdict
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from rapidfuzz.distance import Levenshtein

from .. import lifecycle, queue
from ..ingest import oai
from ..models import Figure, Generation, Paper, Publication, Section, SectionRevision
from . import quality


class ReviewError(lifecycle.TransitionError):
    """An action that cannot be done now; the message says why, for the editor."""


class Conflict(ReviewError):
    def __init__(self, section, submitted):
        super().__init__(
            f"{section.get_kind_display()} was changed by someone else while you edited it. "
            "Nothing was overwritten: both texts are shown; merge them and save again."
        )
        self.section = section
        self.submitted = submitted


def current_sections(paper):
    return Section.objects.filter(paper=paper, is_current=True).order_by("order")


PAGE_RE = re.compile(r"\(pp?\. (\d+)")


def source_page(sources):
    """The first PDF page a section was written from ("3 Method (pp. 3–6)" -> 3), or None."""
    for source in sources or []:
        match = PAGE_RE.search(source)
        if match:
            return int(match.group(1))
    return None


def edit_distance(generated, body):
    return Levenshtein.distance(generated, body)


CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def edit_section(section_id, body, version, user):
    """Save an editor's text. Raises Conflict if the section moved on since `version`."""
    # Control characters are not text (and PostgreSQL cannot store NUL).
    body = CONTROL_RE.sub("", body.replace("\r\n", "\n"))
    with transaction.atomic():
        section = Section.objects.select_related("paper", "generation").get(pk=section_id)
        if not section.is_current:
            raise ReviewError("This section was replaced by a newer draft; edit the current one.")
        if section.version != int(version):
            raise Conflict(section, body)
        if body == section.body:
            return section
        was_approved = section.status == Section.Status.APPROVED
        # The checks follow the text: a fixed runaway paragraph loses its flag, the spans match the new text.
        found = quality.check_section(section.kind, body, quality.context_for(section.paper, section.generation))
        updated = Section.objects.filter(pk=section.pk, version=section.version).update(
            body=body, version=F("version") + 1, status=Section.Status.DRAFT, flags=found,
            flag_score=quality.score(found), edit_distance=edit_distance(section.generated, body),
            updated_at=timezone.now(),
        )
        if not updated:  # a concurrent save slipped in between the read and the write
            raise Conflict(Section.objects.get(pk=section.pk), body)
        SectionRevision.objects.create(section=section, user=user, action="edited", before=section.body, after=body)
        if was_approved:
            SectionRevision.objects.create(section=section, user=user, action="withdrawn",
                                           before="approved", after="draft")
        lifecycle.refresh_flag_score(section.paper)
        lifecycle.back_to_review(section.paper, user, f"{section.get_kind_display()} edited")
    section.refresh_from_db()
    return section


def approve_section(section_id, user, version=None):
    with transaction.atomic():
        section = Section.objects.select_related("paper").get(pk=section_id)
        if version is not None and section.version != int(version):
            raise Conflict(section, section.body)
        if not section.is_current:
            raise ReviewError("This section was replaced by a newer draft.")
        if section.status == Section.Status.APPROVED:
            return section
        Section.objects.filter(pk=section.pk).update(
            status=Section.Status.APPROVED, reviewer=user, reviewed_at=timezone.now(), version=F("version") + 1
        )
        SectionRevision.objects.create(section=section, user=user, action="approved", before="draft", after="approved")
    section.refresh_from_db()
    return section


def approve_all(paper, user):
    drafts = list(current_sections(paper).filter(status=Section.Status.DRAFT).values_list("pk", flat=True))
    for pk in drafts:
        approve_section(pk, user)
    return len(drafts)


def set_figures(paper, kept_ids, order, user):
    """Keep or hide figures and set their order: `order` maps figure id -> position."""
    # Positions are unique per paper version: park them out of the way, then set. Read in the transaction, and
    # written only while a figure is not replaced: a region redrawn meanwhile keeps its new figure's place.
    with transaction.atomic():
        figures = list(Figure.objects.editable(paper).select_for_update())
        for figure in figures:
            figure.kept = figure.pk in kept_ids
            figure.order = order.get(figure.pk, figure.order)
        for figure in figures:
            Figure.objects.filter(pk=figure.pk, replaced_by=None).update(order=figure.order + 10000)
        for figure in figures:
            Figure.objects.filter(pk=figure.pk, replaced_by=None).update(order=figure.order, kept=figure.kept)
        lifecycle.log_event(paper, "figures", "done",
                            f"{sum(f.kept for f in figures)} of {len(figures)} figures kept", user=user)
        # Readers keep the figures of the last publication until a publisher publishes again.
        lifecycle.back_to_review(paper, user, "figures chosen")


def waiting_changes(paper):
    """What changed since a public paper was published, which readers get only when a publisher
    publishes again: (what, as readers see it, as it waits) for each field, section and the figures."""
    publication = Publication.objects.filter(paper=paper).first()
    if publication is None:
        return []
    rows = [(Paper._meta.get_field(name).verbose_name, str(public), str(waiting))
            for name, public, waiting in publication.changes(paper)]
    published = dict(Section.objects.filter(paper=paper, public=True).values_list("kind", "published_body"))
    for section in current_sections(paper):
        if not section.public or section.body != section.published_body:
            rows.append((section.get_kind_display(), published.get(section.kind, ""), section.body))

    def labels(figures):
        return ", ".join(f.label or f"figure {f.order}" for f in figures) or "none"

    shown = list(Figure.objects.filter(paper=paper, public=True).order_by("order"))
    kept = list(Figure.objects.editable(paper).filter(kept=True).order_by("order"))
    if [(f.label, f.sha256) for f in shown] != [(f.label, f.sha256) for f in kept]:
        # A redrawn region is the same label with another picture.
        pictures, names = {(f.label, f.sha256) for f in shown}, {f.label for f in shown}
        redrawn = [f.label for f in kept if f.label in names and (f.label, f.sha256) not in pictures]
        rows.append(("figures", labels(shown), labels(kept) + "".join(f" ({label} redrawn)" for label in redrawn)))
    return rows


def check_licence_again(paper, user):
    """Ask OAI-PMH for the paper's licence now (after an outage, or a licence changed on arXiv)."""
    try:
        licence = oai.fetch_licence(paper.arxiv_id)
    except oai.LicenceUnavailable as exc:
        lifecycle.log_event(paper, "licence", "unknown", str(exc), user=user)
        raise ReviewError("arXiv's OAI-PMH interface did not say; the paper's history has the reason.") from exc
    lifecycle.record_licence(paper, licence, user)
    return licence


def request_regeneration(paper, user, kind=None):
    """Queue a new draft for one section or the whole paper; the current text stays as history."""
    if not lifecycle.is_editable(paper):
        raise ReviewError("Only a paper with its drafts written, and not rejected, can be regenerated.")
    lifecycle.log_event(paper, "regenerate", "queued", f"{kind or 'all sections'} requested", user=user)
    transaction.on_commit(lambda: queue.enqueue_regeneration(paper.pk, kind, user.pk if user else None))


def effort_report(papers=None):
    """Editorial effort per backend and per topic, over approved current sections."""
    sections = Section.objects.filter(status=Section.Status.APPROVED).select_related("generation")
    if papers is not None:
        sections = sections.filter(paper__in=papers)
    rows = {}
    topic_names = dict(Paper.topics.through.objects.values_list("paper_id", "topic__name"))
    for section in sections:
        for key in (("backend", section.generation.backend), ("topic", topic_names.get(section.paper_id, "—"))):
            row = rows.setdefault(key, {"sections": 0, "unchanged": 0, "distance": 0, "papers": set()})
            row["sections"] += 1
            row["unchanged"] += section.edit_distance == 0
            row["distance"] += section.edit_distance
            row["papers"].add(section.paper_id)
    published = dict(
        Paper.objects.filter(published_at__isnull=False).values_list("pk", "published_at")
    )
    fetched = dict(Paper.objects.filter(pk__in=published).values_list("pk", "fetched_at"))
    report = []
    for (group, name), row in sorted(rows.items()):
        waits = sorted(published[p] - fetched[p] for p in row["papers"] if p in published)
        report.append({
            "group": group, "name": name, "sections": row["sections"],
            "unchanged_share": row["unchanged"] / row["sections"],
            "mean_distance": row["distance"] / row["sections"],
            "median_to_publish": waits[len(waits) // 2] if waits else None,
        })
    return report


def human(delta):
    if delta is None:
        return "—"
    if delta < timedelta(hours=1):
        return f"{delta.total_seconds() / 60:.0f} min"
    if delta < timedelta(days=2):
        return f"{delta.total_seconds() / 3600:.1f} h"
    return f"{delta.days} days"


def usage_report():
    """LLM tokens and estimated cost per topic and month (from Generation.usage and LLM_PRICES)."""
    rows = defaultdict(lambda: {"papers": set(), "input": 0, "output": 0, "thinking": 0, "cost": 0.0, "priced": True})
    topic_names = dict(Paper.topics.through.objects.values_list("paper_id", "topic__name"))
    for generation in Generation.objects.exclude(usage={}).only("paper_id", "model", "usage", "created_at"):
        usage = generation.usage
        key = (topic_names.get(generation.paper_id, "—"), generation.created_at.strftime("%Y-%m"), generation.model)
        row = rows[key]
        row["papers"].add(generation.paper_id)
        for name in ("input", "output", "thinking"):
            row[name] += usage.get(name, 0)
        price = settings.LLM_PRICES.get(generation.model)
        if price:
            row["cost"] += (usage.get("input", 0) * price[0]
                            + (usage.get("output", 0) + usage.get("thinking", 0)) * price[1]) / 1e6
        else:
            row["priced"] = False
    return [{"topic": t, "month": m, "model": model, **{k: v for k, v in row.items() if k != "papers"},
             "papers": len(row["papers"])} for (t, m, model), row in sorted(rows.items())]
