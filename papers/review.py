"""Editorial actions as plain functions; the admin's views and actions call these.

Rules they keep:
- nothing an editor typed is lost: every body change is a SectionRevision, every
  state change a PaperEvent, both with the user;
- a save names the section version it was made from; a stale save is refused
  with both texts (Conflict), never applied over someone else's;
- editing an approved section sends it back to draft;
- readers see `published_body`, copied at publication, so edits and new versions
  reach them only when the paper is published again.
"""

import re
from datetime import timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from rapidfuzz.distance import Levenshtein

from . import caching, search
from .models import Paper, Section, SectionRevision
from .pipeline import log_event

State = Paper.State


class ReviewError(Exception):
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


def edit_distance(generated, body):
    return Levenshtein.distance(generated, body)


CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def edit_section(section_id, body, version, user):
    """Save an editor's text. Raises Conflict if the section moved on since `version`."""
    # Control characters are not text (and PostgreSQL cannot store NUL).
    body = CONTROL_RE.sub("", body.replace("\r\n", "\n"))
    with transaction.atomic():
        section = Section.objects.select_related("paper").get(pk=section_id)
        if not section.is_current:
            raise ReviewError("This section was replaced by a newer draft; edit the current one.")
        if section.version != int(version):
            raise Conflict(section, body)
        if body == section.body:
            return section
        was_approved = section.status == Section.Status.APPROVED
        updated = Section.objects.filter(pk=section.pk, version=section.version).update(
            body=body, version=F("version") + 1, status=Section.Status.DRAFT,
            edit_distance=edit_distance(section.generated, body), updated_at=timezone.now(),
        )
        if not updated:  # a concurrent save slipped in between the read and the write
            raise Conflict(Section.objects.get(pk=section.pk), body)
        SectionRevision.objects.create(section=section, user=user, action="edited", before=section.body, after=body)
        if was_approved:
            SectionRevision.objects.create(section=section, user=user, action="withdrawn",
                                           before="approved", after="draft")
        back_to_review(section.paper, user, f"{section.get_kind_display()} edited")
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


def back_to_review(paper, user, why):
    """A published paper whose text changed needs publishing again; readers keep the old text."""
    moved = Paper.objects.filter(pk=paper.pk, state=State.PUBLISHED).update(state=State.IN_REVIEW)
    if moved:
        log_event(paper, "review", "done", f"back in review: {why}", user=user)


def unapproved(paper):
    return current_sections(paper).exclude(status=Section.Status.APPROVED)


def publish(paper, user):
    """Make the paper public with its current, approved sections and kept figures."""
    with transaction.atomic():
        paper = Paper.objects.select_for_update().get(pk=paper.pk)
        if paper.state not in (State.IN_REVIEW, State.PUBLISHED):
            raise ReviewError(f"Only a paper in review can be published; this one is {paper.get_state_display().lower()}.")
        waiting = [s.get_kind_display() for s in unapproved(paper)]
        if waiting:
            raise ReviewError(f"Not published: approve every section first ({', '.join(waiting)} not approved).")
        if not current_sections(paper).exists():
            raise ReviewError("Not published: the paper has no sections.")
        now = timezone.now()
        Section.objects.filter(paper=paper).update(public=False)
        Section.objects.filter(paper=paper, is_current=True).update(public=True, published_body=F("body"))
        published_at = paper.published_at or now
        Paper.objects.filter(pk=paper.pk).update(
            state=State.PUBLISHED, published_at=published_at, publish_at=None,
            published_on=timezone.localdate(published_at),
        )
        log_event(paper, "publish", "done", "published", user=user)
        transaction.on_commit(lambda: public_changed(paper))
    return True


def unpublish(paper, user):
    with transaction.atomic():
        moved = Paper.objects.filter(pk=paper.pk, published_at__isnull=False).update(
            published_at=None, publish_at=None,
            state=State.IN_REVIEW if paper.state == State.PUBLISHED else paper.state,
        )
        if not moved:
            raise ReviewError("The paper is not published.")
        Section.objects.filter(paper=paper).update(public=False)
        log_event(paper, "unpublish", "done", "taken off the public site", user=user)
        transaction.on_commit(lambda: public_changed(paper))
    return True


def schedule_publication(paper, when, user):
    if when <= timezone.now():
        raise ReviewError("Choose a time in the future, or publish now.")
    waiting = [s.get_kind_display() for s in unapproved(paper)]
    if waiting:
        raise ReviewError(f"Not scheduled: approve every section first ({', '.join(waiting)} not approved).")
    Paper.objects.filter(pk=paper.pk).update(publish_at=when)
    log_event(paper, "publish", "scheduled", f"to be published at {when:%Y-%m-%d %H:%M %Z}", user=user)


def publish_due(now=None):
    """Publish every paper whose scheduled time has come (run by a django-q2 schedule)."""
    now = now or timezone.now()
    published = 0
    for paper in Paper.objects.filter(publish_at__lte=now):
        try:
            publish(paper, user=None)
            published += 1
        except ReviewError as exc:
            Paper.objects.filter(pk=paper.pk).update(publish_at=None)
            log_event(paper, "publish", "failed", f"scheduled publication cancelled: {exc}")
    return published


def reject(paper, reason, user):
    reason = reason.strip()
    if not reason:
        raise ReviewError("Say why the paper is rejected.")
    with transaction.atomic():
        Paper.objects.filter(pk=paper.pk).update(
            state=State.REJECTED, rejection_reason=reason, rejected_at=timezone.now(),
            published_at=None, publish_at=None,
        )
        Section.objects.filter(paper=paper).update(public=False)
        log_event(paper, "reject", "done", reason, user=user)
        transaction.on_commit(lambda: public_changed(paper))


def public_changed(paper):
    """What readers may see changed: reindex the paper and drop every cached public page."""
    search.index_paper(Paper.objects.get(pk=paper.pk))
    caching.public_changed()


def if_public_changed(paper):
    """A change to a paper readers can see (its figures, their licence) reaches them once committed."""
    if Paper.objects.published().filter(pk=paper.pk).exists():
        transaction.on_commit(lambda: public_changed(paper))


def set_figures(paper, kept_ids, order, user):
    """Keep or hide figures and set their order: `order` maps figure id -> position."""
    figures = list(paper.figures.filter(paper_version=paper.version))
    for figure in figures:
        figure.kept = figure.pk in kept_ids
        figure.order = order.get(figure.pk, figure.order)
    # Positions are unique per paper version: park them out of the way, then set.
    with transaction.atomic():
        for figure in figures:
            type(figure).objects.filter(pk=figure.pk).update(order=figure.order + 10000)
        for figure in figures:
            type(figure).objects.filter(pk=figure.pk).update(order=figure.order, kept=figure.kept)
        log_event(paper, "figures", "done",
                  f"{sum(f.kept for f in figures)} of {len(figures)} figures kept", user=user)
        if_public_changed(paper)


def override_figure_licence(paper, reason, user):
    """Show the paper's figures although its licence does not allow reuse by default.

    Only someone who may publish can do it (the admin checks the permission), and only with a reason,
    which is kept on the paper and in its history. An empty reason withdraws the override."""
    reason = reason.strip()
    if paper.figures_allowed and not paper.figures_override_reason and reason:
        raise ReviewError("This paper's licence already allows its figures; no override is needed.")
    with transaction.atomic():
        Paper.objects.filter(pk=paper.pk).update(
            figures_override_reason=reason, figures_override_by=user if reason else None,
            figures_override_at=timezone.now() if reason else None,
        )
        log_event(paper, "figures", "done", f"licence override: {reason}" if reason else "licence override withdrawn",
                  user=user)
        if_public_changed(paper)


def check_licence_again(paper, user):
    """Ask OAI-PMH for the paper's licence now (after an outage, or a licence changed on arXiv)."""
    from .pipeline import check_licence

    changes = check_licence(paper)
    if not changes:
        raise ReviewError("arXiv's OAI-PMH interface did not say; the paper's history has the reason.")
    Paper.objects.filter(pk=paper.pk).update(**changes)
    log_event(paper, "licence", "done", changes["license"] or "arXiv's default licence", user=user)
    if_public_changed(paper)
    return changes["license"]


def request_regeneration(paper, user, kind=None):
    """Queue a new draft for one section or the whole paper; the current text stays as history."""
    from .tasks import enqueue_regeneration

    if paper.state not in (State.IN_REVIEW, State.PUBLISHED):
        raise ReviewError("Only a paper in review or published can be regenerated.")
    log_event(paper, "regenerate", "queued", f"{kind or 'all sections'} requested", user=user)
    transaction.on_commit(lambda: enqueue_regeneration(paper.pk, kind, user.pk if user else None))


def process_new_version(paper, user):
    """Take the waiting arXiv version through the pipeline; readers keep the published text meanwhile."""
    from .pipeline import apply_new_version

    if not paper.new_version:
        raise ReviewError("No newer arXiv version is waiting for this paper.")
    apply_new_version(paper, user)


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
    from collections import defaultdict

    from django.conf import settings

    from .models import Generation

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
