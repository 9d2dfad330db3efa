"""A soft lock: the queue and the review page say who is reviewing a paper, and since when, so two editors do not
work the same paper; the hold lapses when its editor has not had the page open for REVIEW_HOLD_MINUTES."""

from datetime import timedelta

import time_machine
from django.test import Client
from django.utils import timezone

from papers.models import Paper

from .factories import SCANNED, make_reviewed_paper


def logged_in(user):
    client = Client()
    client.force_login(user)
    return client


def review_page(client, paper):
    return client.get(f"/admin/papers/paper/{paper.pk}/review/").content.decode()


def test_the_second_editor_sees_who_reviews_the_paper_and_since_when(reviewed_paper, editor, publisher, settings):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        first, second = logged_in(editor), logged_in(publisher)
        assert 'id="held"' not in review_page(first, reviewed_paper)
        clock.shift(timedelta(minutes=5))
        page = review_page(second, reviewed_paper)
        since = timezone.localtime(start).strftime("%H:%M")
        assert f"Being reviewed by editor since {since}" in page
        assert f"by editor since {since}" in second.get("/admin/papers/paper/?review=queue").content.decode()
        assert 'id="held"' not in review_page(first, reviewed_paper), "the holder is not warned about themself"
        clock.shift(timedelta(minutes=settings.REVIEW_HOLD_MINUTES + 1))
        assert 'id="held"' not in review_page(second, reviewed_paper), "the hold lapsed"
        assert Paper.objects.get(pk=reviewed_paper.pk).review_holder == publisher
        assert "Being reviewed by publisher" in review_page(first, reviewed_paper)


def test_moving_on_to_the_next_paper_releases_the_hold(topic, fake_arxiv, editor):
    first = make_reviewed_paper(topic, fake_arxiv, 1, pdf=SCANNED)
    make_reviewed_paper(topic, fake_arxiv, 2)
    client = logged_in(editor)
    review_page(client, first)
    assert Paper.objects.get(pk=first.pk).review_holder == editor
    client.post(f"/admin/papers/paper/{first.pk}/review/", {"action": "approve_all_next"})
    assert Paper.objects.get(pk=first.pk).review_holder is None
