"""Every public page runs the same number of queries at 10 and at 1,000 papers; pages are cached."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext

from papers import lifecycle
from papers.editorial import review
from papers.measurement.seeding import seed_papers
from papers.models import Paper

from .factories import make_reviewed_paper


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


def test_query_counts_do_not_grow_with_the_database(client, topic, db):
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
