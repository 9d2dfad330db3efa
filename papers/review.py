"""Editorial actions as plain functions; the admin calls these."""

from django.db import transaction
from django.utils import timezone

from .models import Paper, Section
from .pipeline import log_event


def approve_and_publish(paper, user):
    """Approve the current version's sections and publish the paper. False if not in review."""
    now = timezone.now()
    with transaction.atomic():
        moved = Paper.objects.filter(pk=paper.pk, state=Paper.State.IN_REVIEW).update(
            state=Paper.State.PUBLISHED, published_at=now
        )
        if not moved:
            return False
        Section.objects.filter(paper=paper, generation__paper_version=paper.version).update(
            status=Section.Status.APPROVED, reviewer=user, reviewed_at=now
        )
        log_event(paper, "publish", "done", f"published by {user}")
    return True
