"""A paper's life, in one place: every change of its stage or status goes through a function here.

A paper moves on two axes (the README's "How a paper moves" draws both):
- its stage, how far the pipeline got with the current arXiv version:
  fetched → downloaded → extracted → summarized → drafted, or failed at a step;
- its status, what editors made public: unpublished, published, changed (public, with
  changes waiting for a publisher) or rejected.

Each transition checks where it may start, changes the row with one conditional
UPDATE (… WHERE pk = … AND stage/status IN …) whose row count says whether it
happened, writes the PaperEvent, and registers what must follow once the transaction
commits (the next task, the public surfaces). Nothing else in the project writes a
paper's row; the pipeline, the editorial actions, the import and the admin call these.
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone

from . import queue
from .editorial.quality import score
from .identifiers import validate_arxiv_id
from .ingest.arxiv_source import PaperRecord
from .models import Figure, Paper, PaperEvent, Publication, Section
from .public import surfaces

Stage, Status = Paper.Stage, Paper.Status

# The pipeline's steps: the stage a step starts from, its name, the stage it ends in.
STEPS = {
    Stage.FETCHED: ("download", Stage.DOWNLOADED),
    Stage.DOWNLOADED: ("extract", Stage.EXTRACTED),
    Stage.EXTRACTED: ("summarize", Stage.SUMMARIZED),
    Stage.SUMMARIZED: ("review", Stage.DRAFTED),
}
STEP_START = {name: stage for stage, (name, _) in STEPS.items()}
NOT_REJECTED = (Status.UNPUBLISHED, Status.PUBLISHED, Status.CHANGED)
# Retryable failures wait longer each time, up to an hour, so that with the default
# PAPER_MAX_ATTEMPTS (8) a paper rides out an outage of almost four hours before it fails.
BACKOFF_SECONDS = (60, 300, 900, 1800, 3600)


class Retry(Exception):
    """A failure that trying again later may cure (a network error, a busy service).

    `wait_until`: when to try again, where that is known (a budget resets, an operator
    fixes a key); such waits do not count as attempts.
    """

    def __init__(self, message, wait_until=None):
        super().__init__(message)
        self.wait_until = wait_until


class TransitionError(Exception):
    """A move the paper's stage or status does not allow now; the message says why, for the editor."""


def log_event(paper, step, outcome, message="", seconds=0, user=None):
    PaperEvent.objects.create(paper=paper, step=step, outcome=outcome, message=message[:5000],
                              seconds=round(seconds, 3), user=user)


def _move(paper, stages=None, statuses=None, **changes):
    """The one conditional UPDATE: True if the paper was at one of `stages` (and `statuses`) and
    now has `changes`."""
    rows = Paper.objects.filter(pk=paper.pk)
    if stages is not None:
        rows = rows.filter(stage__in=stages)
    if statuses is not None:
        rows = rows.filter(status__in=statuses)
    return rows.update(**changes) == 1


def _after_commit_enqueue(paper):
    transaction.on_commit(lambda pk=paper.pk: queue.enqueue_paper(pk))


def _after_commit_refresh(paper, topics=(), retitled=False):
    transaction.on_commit(lambda pk=paper.pk, topics=tuple(topics): surfaces.refresh(pk, topics, retitled))


def _recount_and_refresh(paper, topics=(), retitled=False):
    """Readers see the paper, or no longer see it, or see it on other topics: its topics' (and `topics`')
    counts of its day now, in this transaction, so that no page counts a paper it cannot show; its pages once
    it commits. (A paper taken down keeps its day until it is published again, on a new day: the old day was
    counted when it left.)"""
    day = Paper.objects.filter(pk=paper.pk).values_list("published_on", flat=True).get()
    surfaces.count_days({*paper.topics.values_list("pk", flat=True), *topics}, [day])
    _after_commit_refresh(paper, topics, retitled)


def is_editable(paper):
    """Drafts written, and not rejected: editors may review, regenerate and publish it."""
    return paper.stage == Stage.DRAFTED and paper.status in NOT_REJECTED


# --- the pipeline: the stage axis -------------------------------------------------------

def create(topic=None, **fields):
    """A new paper at the start of the pipeline (a fetched arXiv record), queued once committed."""
    validate_arxiv_id(fields.get("arxiv_id"))
    with transaction.atomic():
        paper = Paper.objects.create(stage=Stage.FETCHED, status=Status.UNPUBLISHED, **fields)
        if topic:
            paper.topics.add(topic)
        log_event(paper, "fetch", "done", f"v{paper.version} from arXiv")
        _after_commit_enqueue(paper)
    return paper


def create_drafted(topic, **fields):
    """A paper whose drafts come from elsewhere (an imported post): it starts in review."""
    validate_arxiv_id(fields.get("arxiv_id"))
    with transaction.atomic():
        paper = Paper.objects.create(stage=Stage.DRAFTED, status=Status.UNPUBLISHED, review_at=timezone.now(),
                                     **fields)
        paper.topics.add(topic)
        log_event(paper, "import", "done", "imported with its drafts")
    return paper


def claim(paper):
    """Take the paper for one step. False if another worker holds it or its stage moved."""
    now = timezone.now()
    won = (
        Paper.objects.filter(pk=paper.pk, stage=paper.stage, stage__in=STEPS)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .update(claimed_until=now + timedelta(seconds=settings.Q_TIMEOUT), attempts=F("attempts") + 1)
    )
    return won == 1


def advance(paper, changes, seconds=0):
    """The step the paper is in is done: record its results and move to the next stage."""
    step, next_stage = STEPS[paper.stage]
    with transaction.atomic():
        moved = _move(paper, [paper.stage], stage=next_stage, claimed_until=None, attempts=0, error="",
                      failed_step="", **changes)
        if moved:
            log_event(paper, step, "done", seconds=seconds)
    return moved


def fail_step(paper, message, retryable, wait_until=None):
    """Keep the error and the attempt count; give up after PAPER_MAX_ATTEMPTS.

    A known wait (a budget, an operator's fix) is not an attempt: the paper just waits.
    Returns True if the paper failed for good.
    """
    step = STEPS[paper.stage][0]
    give_up = not retryable or (wait_until is None and paper.attempts >= settings.PAPER_MAX_ATTEMPTS)
    now = timezone.now()
    with transaction.atomic():
        if give_up:
            _move(paper, [paper.stage], stage=Stage.FAILED, failed_step=step, error=message, failed_at=now,
                  claimed_until=None)
        elif wait_until:
            _move(paper, [paper.stage], error=message, failed_step=step, claimed_until=wait_until,
                  attempts=F("attempts") - 1)
        else:
            wait = BACKOFF_SECONDS[min(paper.attempts, len(BACKOFF_SECONDS)) - 1]
            _move(paper, [paper.stage], error=message, failed_step=step,
                  claimed_until=now + timedelta(seconds=wait))
        log_event(paper, step, "failed" if give_up else "retry", message)
    return give_up


def retry(paper, user=None):
    """Put a failed paper back at the step that failed, with a fresh attempt count."""
    start = STEP_START.get(paper.failed_step)
    if start is None:
        return False
    with transaction.atomic():
        moved = _move(paper, [Stage.FAILED], stage=start, attempts=0, claimed_until=None, error="")
        if moved:
            log_event(paper, paper.failed_step, "retry", "retried by an editor", user=user)
            _after_commit_enqueue(paper)
    return moved


def resumable():
    """Papers with a step to run and no live claim: lost tasks, retries that are due."""
    return Paper.objects.needing_work().filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=timezone.now()))


def new_version(paper, record):
    """arXiv has a newer version. An unpublished paper starts again with it; a public one keeps
    what readers see and holds the record until an editor takes it up. True if restarted."""
    with transaction.atomic():
        if paper.status in Paper.PUBLIC:
            if paper.new_version.get("version") != record.version:
                _move(paper, statuses=Paper.PUBLIC, new_version=record.as_json())
                log_event(paper, "fetch", "skipped",
                          f"v{record.version} is on arXiv; the published v{paper.version} is kept "
                          "until an editor processes the new version.")
            return False
        return _restart(paper, record, "fetch", f"v{record.version} from arXiv", fetched_at=timezone.now())


def take_new_version(paper, user):
    """Process the arXiv version waiting for a published paper; readers keep the published text."""
    if not paper.new_version:
        raise TransitionError("No newer arXiv version is waiting for this paper.")
    with transaction.atomic():
        _restart(paper, PaperRecord.from_json(paper.new_version), "fetch",
                 f"v{paper.new_version['version']} taken up by an editor", user=user)
        back_to_review(paper, user, f"arXiv v{paper.new_version['version']} taken up")


def _restart(paper, record, step, message, user=None, **changes):
    """Take a new arXiv version's metadata and send the paper through the pipeline again."""
    changes.update(record.fields(), authors_index=Paper.index_authors(record.authors))
    moved = Paper.objects.filter(pk=paper.pk, version__lt=record.version).update(
        stage=Stage.FETCHED, attempts=0, error="", failed_step="", claimed_until=None, new_version={}, **changes)
    if moved:
        log_event(paper, step, "done", message, user=user)
        _after_commit_enqueue(paper)
    return bool(moved)


def record_licence(paper, licence, user=None):
    """What arXiv says the paper's licence is; readers' figures follow it at once."""
    with transaction.atomic():
        Paper.objects.filter(pk=paper.pk).update(license=licence, license_checked_at=timezone.now())
        log_event(paper, "licence", "done", licence or "arXiv's default licence", user=user)
        refresh_if_public(paper)


def flag_score(paper):
    """Paper-level flags plus those of its current sections: the review queue's first key."""
    sections = Section.objects.filter(paper=paper, is_current=True).values_list("flag_score", flat=True)
    return score(paper.flags) + sum(sections)


def refresh_flag_score(paper):
    Paper.objects.filter(pk=paper.pk).update(flag_score=flag_score(paper))


# --- editorial: the status axis -----------------------------------------------------------

def back_to_review(paper, user, why):
    """A published paper changed (text, figures, metadata, a new version): it waits for a publisher
    again, and readers keep what was published."""
    with transaction.atomic():
        if _move(paper, statuses=[Status.PUBLISHED], status=Status.CHANGED):
            log_event(paper, "review", "done", f"changes waiting for a publisher: {why}", user=user)


def unapproved(paper):
    return Section.objects.filter(paper=paper, is_current=True).exclude(status=Section.Status.APPROVED)


def publish(paper, user):
    """Make the paper public with its current, approved sections, metadata and kept figures."""
    with transaction.atomic():
        paper = Paper.objects.select_for_update().get(pk=paper.pk)
        if not is_editable(paper):
            raise TransitionError(
                f"Only a paper with its drafts written can be published; this one is "
                f"{paper.get_stage_display().lower()}, {paper.get_status_display().lower()}.")
        waiting = [s.get_kind_display() for s in unapproved(paper)]
        if waiting:
            raise TransitionError(f"Not published: approve every section first ({', '.join(waiting)} not approved).")
        if not Section.objects.filter(paper=paper, is_current=True).exists():
            raise TransitionError("Not published: the paper has no sections.")
        published_at = paper.published_at or timezone.now()
        if not _move(paper, [Stage.DRAFTED], NOT_REJECTED, status=Status.PUBLISHED, published_at=published_at,
                     publish_at=None, published_on=timezone.localdate(published_at)):
            raise TransitionError("The paper changed meanwhile; reload the page.")
        before = Publication.objects.filter(paper=paper).values_list("title", flat=True).first()
        snapshot = Publication.snapshot(paper)
        Publication.objects.update_or_create(
            paper=paper, defaults={**snapshot, "published_by": user, "created_at": timezone.now()})
        Section.objects.filter(paper=paper).update(public=False)
        Section.objects.filter(paper=paper, is_current=True).update(public=True, published_body=F("body"))
        Figure.objects.filter(paper=paper).update(public=False)
        Figure.objects.editable(paper).filter(kept=True).update(public=True)
        log_event(paper, "publish", "done", "published", user=user)
        _recount_and_refresh(paper, retitled=before is not None and before != snapshot["title"])
    return True


def unpublish(paper, user):
    with transaction.atomic():
        if not _move(paper, statuses=Paper.PUBLIC, status=Status.UNPUBLISHED, published_at=None, publish_at=None):
            raise TransitionError("The paper is not published.")
        _withdraw(paper)
        log_event(paper, "unpublish", "done", "taken off the public site", user=user)
        _recount_and_refresh(paper)
    return True


def reject(paper, reason, user):
    reason = reason.strip()
    if not reason:
        raise TransitionError("Say why the paper is rejected.")
    with transaction.atomic():
        # Locked, so that a publication cannot slip in between: a draft rejected was never on a page.
        was_public = Paper.objects.select_for_update().get(pk=paper.pk).status in Paper.PUBLIC
        if not _move(paper, statuses=NOT_REJECTED, status=Status.REJECTED, rejection_reason=reason,
                     rejected_at=timezone.now(), published_at=None, publish_at=None):
            raise TransitionError("The paper is already rejected.")
        _withdraw(paper)
        log_event(paper, "reject", "done", reason, user=user)
        if was_public:
            _recount_and_refresh(paper)


def _withdraw(paper):
    """Nothing of the paper stays public."""
    Publication.objects.filter(paper=paper).delete()
    Section.objects.filter(paper=paper).update(public=False)
    Figure.objects.filter(paper=paper).update(public=False)


def add_topic(paper, topic):
    """The paper is on `topic` too (another topic's fetch found it, a post brought it): a public paper joins
    that topic's digest of its day."""
    with transaction.atomic():
        # The paper first, as every transition takes it: its status cannot change while its topics do.
        paper = Paper.objects.select_for_update().get(pk=paper.pk)
        if paper.topics.filter(pk=topic.pk).exists():
            return
        paper.topics.add(topic)
        log_event(paper, "topics", "done", f"added to {topic.name}")
        if Paper.objects.published().filter(pk=paper.pk).exists():
            _recount_and_refresh(paper)


def set_topics(paper, topics, user):
    """An editor's choice of the paper's topics (the admin's change form): a public paper leaves the digests
    of the topics it no longer has and joins the others' at once, as readers see it."""
    with transaction.atomic():
        paper = Paper.objects.select_for_update().get(pk=paper.pk)
        before = set(paper.topics.values_list("pk", flat=True))
        if before == {topic.pk for topic in topics}:
            return
        paper.topics.set(topics)
        log_event(paper, "topics", "done", "topics: " + (", ".join(sorted(t.name for t in topics)) or "none"),
                  user=user)
        if Paper.objects.published().filter(pk=paper.pk).exists():
            _recount_and_refresh(paper, topics=before)


def edit_metadata(paper, values, user):
    """An editor's change to the paper's arXiv metadata (the admin's change form). Readers keep
    the paper's Publication: the change waits for a publisher like any other."""
    if not values:
        return
    if "authors" in values:
        values = {**values, "authors_index": Paper.index_authors(values["authors"])}
    with transaction.atomic():
        Paper.objects.filter(pk=paper.pk).update(**values)
        changed = ", ".join(sorted(name for name in values if name != "authors_index"))
        log_event(paper, "edit", "done", f"changed: {changed}", user=user)
        back_to_review(paper, user, f"{changed} edited")


def schedule(paper, when, user):
    if when <= timezone.now():
        raise TransitionError("Choose a time in the future, or publish now.")
    waiting = [s.get_kind_display() for s in unapproved(paper)]
    if waiting:
        raise TransitionError(f"Not scheduled: approve every section first ({', '.join(waiting)} not approved).")
    with transaction.atomic():
        if not _move(paper, [Stage.DRAFTED], NOT_REJECTED, publish_at=when):
            raise TransitionError("Only a paper with its drafts written can be scheduled.")
        log_event(paper, "publish", "scheduled", f"to be published at {when:%Y-%m-%d %H:%M %Z}", user=user)


def publish_due(now=None):
    """Publish every paper whose scheduled time has come (run by a django-q2 schedule)."""
    now = now or timezone.now()
    published = 0
    for paper in Paper.objects.filter(publish_at__lte=now):
        try:
            publish(paper, user=None)
            published += 1
        except TransitionError as exc:
            with transaction.atomic():
                Paper.objects.filter(pk=paper.pk).update(publish_at=None)
                log_event(paper, "publish", "failed", f"scheduled publication cancelled: {exc}")
    return published


def override_figure_licence(paper, reason, user):
    """Show the paper's figures although its licence does not allow reuse by default.

    Only someone who may publish can do it (the admin checks the permission), and only with a reason,
    which is kept on the paper and in its history. An empty reason withdraws the override."""
    reason = reason.strip()
    if paper.figures_allowed and not paper.figures_override_reason and reason:
        raise TransitionError("This paper's licence already allows its figures; no override is needed.")
    with transaction.atomic():
        Paper.objects.filter(pk=paper.pk).update(
            figures_override_reason=reason, figures_override_by=user if reason else None,
            figures_override_at=timezone.now() if reason else None,
        )
        log_event(paper, "figures", "done", f"licence override: {reason}" if reason else "licence override withdrawn",
                  user=user)
        refresh_if_public(paper)


def refresh_if_public(paper):
    """A change to what readers may see of a public paper (its figures' licence) reaches them once committed."""
    if Paper.objects.published().filter(pk=paper.pk).exists():
        _after_commit_refresh(paper)


# --- the review page's soft lock ------------------------------------------------------------

def review_hold_lapse(now=None):
    return (now or timezone.now()) - timedelta(minutes=settings.REVIEW_HOLD_MINUTES)


def hold_for_review(paper, user):
    """Mark the paper as being reviewed by `user`, unless another editor holds it. Returns who holds it now
    (`user`, or the other editor). A hold lapses REVIEW_HOLD_MINUTES after its editor last had the page open."""
    now = timezone.now()
    lapse = review_hold_lapse(now)
    mine = Q(review_holder=user, review_seen__gte=lapse)
    taken = Paper.objects.filter(pk=paper.pk).filter(mine | Q(review_holder=None) | Q(review_seen__lt=lapse)).update(
        review_holder=user, review_seen=now,
        review_since=Case(When(mine, then=F("review_since")), default=Value(now)),
    )
    paper.refresh_from_db(fields=["review_holder", "review_since", "review_seen"])
    return user if taken else paper.review_holder


def release_review(paper, user):
    """The editor has moved on (approve all and next, publish and next)."""
    Paper.objects.filter(pk=paper.pk, review_holder=user).update(review_holder=None, review_since=None, review_seen=None)
