"""Every public page runs the same number of queries at 10 and at 1,000 papers; pages are cached."""

import datetime

import pytest
import time_machine
from django.core.cache import cache
from django.core.cache.backends.locmem import LocMemCache
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from papers import lifecycle
from papers.editorial import review
from papers.measurement.seeding import seed_papers
from papers.models import Paper, Topic
from papers.public import search

from .factories import make_reviewed_paper, paper_in_review, publish, published_paper


def urls(topic):
    paper = Paper.objects.published().order_by("-published_at").first()
    return {
        "home": "/", "topic": f"/t/{topic.slug}/", "day": f"/t/{topic.slug}/{paper.published_on}/",
        "paper": paper.get_absolute_url(), "category": "/category/cs.CV/",
        "author": f"/author/{paper.authors[0]}/", "search": "/search/?q=avatar+diffusion",
        "rss": "/feed/rss/", "atom": "/feed/atom/", "topic feed": f"/t/{topic.slug}/feed/atom/",
    }


def query_counts(client, topic):
    counts = {}
    for name, url in urls(topic).items():
        cache.clear()
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200, url
        counts[name] = len(queries)
    return counts


def test_query_counts_do_not_grow_with_the_database(client, topic, db, monkeypatch):
    # Both sizes below the ranked window, so that search tries the prefix of its last word at both (above it,
    # one query fewer).
    monkeypatch.setattr(search, "WINDOW", 2000)
    seed_papers(10, topic=topic)
    small = query_counts(client, topic)
    seed_papers(990, topic=topic, seed=1)
    large = query_counts(client, topic)
    assert small == large
    assert max(large.values()) <= 7, large


def test_pages_are_cached_until_something_is_published(client, site, topic, fake_arxiv):
    assert client.get("/").status_code == 200
    with CaptureQueriesContext(connection) as queries:
        client.get("/")
    assert len(queries) == 0, "the second visit is served from the cache"
    newcomer = make_reviewed_paper(topic, fake_arxiv, 9)
    assert newcomer.title not in client.get("/").content.decode()
    review.approve_all(newcomer, site["user"])
    with TestCase.captureOnCommitCallbacks(execute=True):
        lifecycle.publish(newcomer, site["user"])
    assert newcomer.title in client.get("/").content.decode()
    assert newcomer.title in client.get("/feed/rss/").content.decode()


@pytest.mark.parametrize("language", ["en", "zh-CN"])
def test_the_cache_keeps_languages_apart(client, site, language):
    client.get("/", HTTP_ACCEPT_LANGUAGE="zh-CN")
    page = client.get("/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert ("最新摘要" in page) == (language == "zh-CN")


def test_editors_are_never_served_a_cached_page(client, site):
    client.get("/")
    client.force_login(site["user"])
    with CaptureQueriesContext(connection) as queries:
        client.get("/")
    assert len(queries) > 0


def served_from_cache(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200, url
    return len(queries) == 0


def test_a_publication_refreshes_only_the_pages_that_show_it(client, topic, publisher):
    """Warm every page, publish one paper in one topic: the pages showing it are new, the others still cached."""
    other = Topic.objects.create(name="Avatars", slug="avatars", query="ti:avatar")
    start = timezone.now() - datetime.timedelta(days=4)
    with time_machine.travel(start, tick=False):
        oldest = published_paper(topic, publisher, 1)
    with time_machine.travel(start + datetime.timedelta(days=2), tick=False):
        previous = published_paper(topic, publisher, 2)
    elsewhere = published_paper(other, publisher, 3)
    newcomer = paper_in_review(topic, 4)
    today = timezone.localdate()
    changed = ["/", f"/t/{topic.slug}/", f"/t/{topic.slug}/{previous.published_on}/", "/feed/rss/", "/feed/atom/",
               f"/t/{topic.slug}/feed/atom/", "/search/?q=avatar", "/sitemap.xml", "/category/cs.CV/"]
    unchanged = [f"/t/{topic.slug}/{oldest.published_on}/", oldest.get_absolute_url(), previous.get_absolute_url(),
                 "/t/avatars/", f"/t/avatars/{elsewhere.published_on}/", "/t/avatars/feed/rss/",
                 elsewhere.get_absolute_url()]
    for url in changed + unchanged:
        client.get(url)
    assert all(served_from_cache(client, url) for url in changed + unchanged)

    newcomer = publish(newcomer, publisher)
    assert newcomer.published_on == today
    assert [url for url in changed + unchanged if served_from_cache(client, url)] == unchanged, \
        "the previous day links to the new one; the day before it does not"
    assert newcomer.publication.title in client.get(f"/t/{topic.slug}/{today}/").content.decode()

    # Taken down, the paper leaves every page that could link to it, other papers' related lists included.
    with TestCase.captureOnCommitCallbacks(execute=True):
        lifecycle.unpublish(Paper.objects.get(pk=newcomer.pk), publisher)
    assert not served_from_cache(client, elsewhere.get_absolute_url())
    assert served_from_cache(client, "/t/avatars/") and served_from_cache(client, f"/t/{topic.slug}/{oldest.published_on}/")
    assert newcomer.publication.title not in client.get(f"/t/{topic.slug}/").content.decode()


def test_a_new_title_refreshes_the_papers_that_list_it_as_related_and_the_same_title_does_not(client, topic,
                                                                                              publisher):
    first = published_paper(topic, publisher, 1)
    second = published_paper(topic, publisher, 2)
    page = first.get_absolute_url()
    assert f'href="{second.get_absolute_url()}"' in client.get(page).content.decode(), "listed as related"
    publish(Paper.objects.get(pk=second.pk), publisher)
    assert served_from_cache(client, page), "republished as it was: the other pages stay"
    Paper.objects.filter(pk=second.pk).update(title="Second, renamed by its editor")
    publish(Paper.objects.get(pk=second.pk), publisher)
    assert "Second, renamed by its editor" in client.get(page).content.decode()


def test_a_paper_moved_to_another_topic_refreshes_the_topic_it_left(client, topic, publisher):
    paper = published_paper(topic, publisher)
    other = Topic.objects.create(name="Avatars", slug="avatars", query="ti:avatar")
    day = f"/t/{topic.slug}/{paper.published_on}/"
    assert client.get(day).status_code == 200 and served_from_cache(client, day)
    with TestCase.captureOnCommitCallbacks(execute=True):
        lifecycle.set_topics(paper, [other], publisher)
    assert client.get(day).status_code == 404, "not the cached digest of a paper that left"
    assert f'href="{day}"' not in client.get(f"/t/{topic.slug}/").content.decode()


def test_a_renamed_topic_refreshes_every_page(client, site, topic):
    paper_page = site["avatar"].get_absolute_url()
    for url in ("/", paper_page, f"/t/{topic.slug}/"):
        client.get(url)
        assert served_from_cache(client, url)
    topic.name, topic.slug = "Digital humans", "digital-humans"
    with TestCase.captureOnCommitCallbacks(execute=True):
        topic.save()
    assert "Digital humans" in client.get("/").content.decode()
    assert "Digital humans" in client.get(paper_page).content.decode(), "the breadcrumb names it"
    assert client.get("/t/virtual-humans/").status_code == 404, "not the old slug's cached page"


class VersionsUnreadable(LocMemCache):
    """A cache that keeps pages but cannot give back the tag versions (a busy or full cache)."""

    def get_many(self, keys, version=None):
        return {k: v for k, v in super().get_many(keys, version).items() if not k.startswith("public-version:")}


def test_a_cache_that_cannot_read_the_versions_serves_pages_fresh(client, site, settings):
    settings.CACHES = {"default": {"BACKEND": f"{__name__}.VersionsUnreadable"}}
    paper = site["avatar"]
    assert paper.publication.title in client.get("/").content.decode()
    assert not served_from_cache(client, "/")
    with TestCase.captureOnCommitCallbacks(execute=True):
        lifecycle.unpublish(paper, site["user"])
    assert paper.publication.title not in client.get("/").content.decode()


def test_rejecting_a_draft_leaves_every_cached_page_in_place(client, site):
    urls = ["/", site["avatar"].get_absolute_url(), "/feed/rss/", "/search/?q=avatar"]
    for url in urls:
        client.get(url)
    with TestCase.captureOnCommitCallbacks(execute=True):
        lifecycle.reject(site["draft"], "off topic", site["user"])
    assert all(served_from_cache(client, url) for url in urls), "readers never saw the draft"
