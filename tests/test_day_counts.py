"""The digests' day counts (TopicDay) follow what is public through every way a paper can change, so the home,
topic and day pages list and count exactly what published() holds, without counting every paper."""

import datetime

import time_machine
from django.core.management import call_command
from django.db.models import Count
from django.test import TestCase
from django.utils import timezone

from papers import lifecycle
from papers.ingest import fetching
from papers.models import Paper, Topic, TopicDay

from .factories import SAMPLE_RECORDS, paper_in_review, publish, published_paper, user_in
from .test_no_way_around_review import change_form_data


def counts():
    return {(day.topic.slug, day.day): day.papers for day in TopicDay.objects.select_related("topic")}


def counted_from_published():
    """What the counts must be: published(), the one definition of public, counted by topic and day."""
    return {(slug, day): n for slug, day, n in Paper.objects.published().order_by()
            .values_list("topics__slug", "published_on").annotate(n=Count("pk")) if slug}


def other_topic():
    return Topic.objects.create(name="Avatars", slug="avatars", query="ti:avatar")


def test_publishing_unpublishing_and_rejecting_keep_each_topics_day_count(topic, publisher):
    avatars = other_topic()
    first = published_paper(topic, publisher, 1)
    lifecycle.add_topic(first, avatars)
    published_paper(topic, publisher, 2)
    today = timezone.localdate()
    assert counts() == {("virtual-humans", today): 2, ("avatars", today): 1} == counted_from_published()

    with TestCase.captureOnCommitCallbacks(execute=True):
        lifecycle.unpublish(first, publisher)
    assert counts() == {("virtual-humans", today): 1} == counted_from_published(), "a day with nothing left goes"
    second = Paper.objects.get(arxiv_id="2700.00002")
    with TestCase.captureOnCommitCallbacks(execute=True):
        lifecycle.reject(second, "a duplicate", publisher)
    assert counts() == {} == counted_from_published()


def test_a_paper_published_again_days_later_moves_to_that_days_digest(client, topic, publisher):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        paper = published_paper(topic, publisher)
        with TestCase.captureOnCommitCallbacks(execute=True):
            lifecycle.unpublish(paper, publisher)
    with time_machine.travel(start + datetime.timedelta(days=2), tick=False):
        publish(Paper.objects.get(pk=paper.pk), publisher)
        later = timezone.localdate()
        assert counts() == {("virtual-humans", later): 1} == counted_from_published()
        page = client.get(f"/t/{topic.slug}/").content.decode()
        assert later.isoformat() in page and (later - datetime.timedelta(days=2)).isoformat() not in page
        assert client.get(f"/t/{topic.slug}/{later}/").status_code == 200


def test_a_topics_fetch_that_finds_a_public_paper_adds_it_to_that_topics_digest(client, topic, publisher):
    paper = published_paper(topic, publisher)
    avatars = other_topic()
    record = next(r for r in SAMPLE_RECORDS if r.arxiv_id == SAMPLE_RECORDS[0].arxiv_id)
    record = record.__class__(**{**record.__dict__, "arxiv_id": paper.arxiv_id, "version": paper.version})
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert fetching.upsert_papers(avatars, [record]) == (0, 0)
    assert counts()[("avatars", paper.published_on)] == 1
    assert counts() == counted_from_published()
    assert paper.publication.title in client.get(f"/t/avatars/{paper.published_on}/").content.decode()
    assert paper.events.filter(step="topics", message="added to Avatars").count() == 1
    with TestCase.captureOnCommitCallbacks(execute=True):
        fetching.upsert_papers(avatars, [record])
    assert paper.events.filter(step="topics").count() == 1, "found again, nothing changes"


def test_moving_a_public_paper_to_another_topic_in_the_admin_moves_it_between_digests(
        client, topic, publisher, django_user_model):
    paper = published_paper(topic, publisher)
    avatars = other_topic()
    client.force_login(user_in(django_user_model, "root", superuser=True))
    data = change_form_data(client, paper)
    data["topics"] = [avatars.pk]
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(f"/admin/papers/paper/{paper.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert counts() == {("avatars", paper.published_on): 1} == counted_from_published()
    assert list(paper.topics.all()) == [avatars]
    assert paper.events.get(step="topics").user.username == "root"
    reader = client.__class__()
    assert reader.get(f"/t/{topic.slug}/{paper.published_on}/").status_code == 404
    assert paper.publication.title in reader.get(f"/t/avatars/{paper.published_on}/").content.decode()


def test_a_topic_change_of_an_unpublished_paper_counts_nothing(topic, publisher):
    paper = paper_in_review(topic)
    lifecycle.set_topics(paper, [other_topic()], publisher)
    assert counts() == {} and paper.events.filter(step="topics").exists()


def test_papers_are_rejected_not_deleted_in_the_admin(client, topic, publisher, django_user_model):
    paper = published_paper(topic, publisher)
    client.force_login(user_in(django_user_model, "root", superuser=True))
    assert client.post(f"/admin/papers/paper/{paper.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Paper.objects.filter(pk=paper.pk).exists() and counts() == counted_from_published()


def test_reindexing_counts_again_what_a_restore_left_wrong(topic, publisher):
    paper = published_paper(topic, publisher)
    TopicDay.objects.filter(topic=topic).update(papers=7)
    TopicDay.objects.create(topic=other_topic(), day=paper.published_on, papers=3)
    call_command("reindex_search", stdout=open("/dev/null", "w"))
    assert counts() == {("virtual-humans", paper.published_on): 1} == counted_from_published()
