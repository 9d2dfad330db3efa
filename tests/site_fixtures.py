"""A small public site made by the real pipeline, with things that must never be public."""

import pytest
from django.test import TestCase

from papers import lifecycle
from papers.editorial import review
from papers.models import Section

from .factories import user_in
from .review_fixtures import make_reviewed_paper

SECRET_MARKERS = ["DRAFT-ONLY-TITLE", "REJECTED-ONLY-TITLE", "UNAPPROVED-EDIT-TEXT"]


def publish(paper, user):
    review.approve_all(paper, user)
    with TestCase.captureOnCommitCallbacks(execute=True):
        lifecycle.publish(paper, user)
    paper.refresh_from_db()
    return paper


@pytest.fixture
def site(topic, fake_arxiv, django_user_model):
    """Two published papers, a draft, a rejected paper, and an unapproved edit of a published one."""
    user = user_in(django_user_model, "publisher", "Publisher")
    avatar = publish(make_reviewed_paper(topic, fake_arxiv, 1), user)
    belle = publish(make_reviewed_paper(topic, fake_arxiv, 2), user)
    draft = make_reviewed_paper(topic, fake_arxiv, 3)
    draft.title = "DRAFT-ONLY-TITLE"
    draft.save()
    rejected = publish(make_reviewed_paper(topic, fake_arxiv, 4), user)
    rejected.title = "REJECTED-ONLY-TITLE"
    rejected.save()
    with TestCase.captureOnCommitCallbacks(execute=True):
        lifecycle.reject(rejected, "a duplicate", user)
    method = Section.objects.get(paper=belle, kind="method", is_current=True)
    review.edit_section(method.pk, "UNAPPROVED-EDIT-TEXT", method.version, user)
    return {"avatar": avatar, "belle": belle, "draft": draft, "rejected": rejected, "topic": topic, "user": user}


def public_urls(site):
    avatar, topic = site["avatar"], site["topic"]
    return [
        "/", f"/t/{topic.slug}/", f"/t/{topic.slug}/{avatar.published_on}/", avatar.get_absolute_url(),
        site["belle"].get_absolute_url(), "/category/cs.CV/", f"/author/{avatar.authors[0]}/",
        "/search/?q=avatar", "/search/?q=GaussHead", "/search/?q=DRAFT", "/search/?q=REJECTED",
        "/feed/rss/", "/feed/atom/", f"/t/{topic.slug}/feed/rss/", f"/t/{topic.slug}/feed/atom/",
    ]
