"""A shared link shows the paper (OpenGraph, Twitter cards); crawlers find every public page and nothing else."""

import re

from django.db import connection
from django.test.utils import CaptureQueriesContext

from papers.editorial import review
from papers.measurement.seeding import seed_papers
from papers.models import Paper

from .factories import SECRET_MARKERS, make_reviewed_paper, paper_in_review, publish

NONEXCLUSIVE = "http://arxiv.org/licenses/nonexclusive-distrib/1.0/"


def meta(page, name):
    found = re.search(rf'<meta (?:property|name)="{re.escape(name)}" content="([^"]*)"', page)
    return found.group(1) if found else None


def test_a_paper_page_carries_its_card(client, site):
    paper = site["avatar"]
    page = client.get(paper.get_absolute_url()).content.decode()
    summary = paper.sections.get(kind="summary", is_current=True).published_body
    lead = paper.figures.get(kept=True)
    assert meta(page, "og:title") == paper.publication.title
    assert meta(page, "og:url") == f"http://testserver{paper.get_absolute_url()}"
    assert meta(page, "og:description") == summary.replace("\\", "")
    assert meta(page, "og:image") == f"http://testserver/media/{lead.fallback or lead.image}"
    assert meta(page, "twitter:card") == "summary_large_image"
    assert meta(page, "og:type") == "article"
    assert meta(page, "twitter:title") == meta(page, "og:title")
    assert meta(page, "twitter:description") == meta(page, "og:description")
    assert meta(page, "twitter:image") == meta(page, "og:image")


def test_a_paper_whose_figures_are_not_public_has_a_card_without_an_image(client, topic, fake_arxiv, publisher):
    paper = publish(make_reviewed_paper(topic, fake_arxiv, 5, license=NONEXCLUSIVE), publisher)
    page = client.get(paper.get_absolute_url()).content.decode()
    assert meta(page, "og:title") == paper.publication.title
    assert meta(page, "og:image") is None and meta(page, "twitter:card") == "summary"
    assert meta(page, "twitter:image") is None and meta(page, "twitter:title") == paper.publication.title


def test_the_sitemap_lists_every_public_paper_topic_and_day_and_nothing_else(client, site):
    index = client.get("/sitemap.xml").content.decode()
    assert "http://testserver/sitemap-papers.xml" in index and "http://testserver/sitemap-topics.xml" in index
    papers = client.get("/sitemap-papers.xml").content.decode()
    listed = re.findall(r"<loc>([^<]+)</loc>", papers)
    assert sorted(listed) == sorted(f"http://testserver{p.get_absolute_url()}" for p in Paper.objects.published())
    assert site["draft"].get_absolute_url() not in papers and site["rejected"].get_absolute_url() not in papers
    assert "<lastmod>" in papers
    assert re.findall(r"<loc>([^<]+)</loc>", client.get("/sitemap-topics.xml").content.decode()) == \
        [f"http://testserver/t/{site['topic'].slug}/"]
    days = {(site["topic"].slug, p.published_on.isoformat()) for p in Paper.objects.published()}
    assert "http://testserver/sitemap-days.xml" in index and days
    assert sorted(re.findall(r"<loc>http://testserver/t/([^/]+)/([\d-]+)/</loc>",
                             client.get("/sitemap-days.xml").content.decode())) == sorted(days)
    for marker in SECRET_MARKERS:
        assert marker not in papers


def test_the_sitemap_asks_the_same_number_of_queries_however_many_papers(client, topic):
    seed_papers(20, topic=topic)
    with CaptureQueriesContext(connection) as small:
        client.get("/sitemap-papers.xml", {"n": 1})
    seed_papers(200, topic=topic)
    with CaptureQueriesContext(connection) as large:
        client.get("/sitemap-papers.xml", {"n": 2})
    assert len(small) == len(large)
    assert client.get("/sitemap-papers.xml").content.decode().count("<url>") == 220


def test_robots_keep_crawlers_out_of_the_admin_and_point_at_the_sitemap(client, db):
    # /media/ stays open to them: a shared link's image is a public figure.
    robots = client.get("/robots.txt")
    assert robots["Content-Type"].startswith("text/plain")
    assert robots.content.decode().splitlines() == [
        "User-agent: *", "Disallow: /admin/", "Sitemap: http://testserver/sitemap.xml"]


def test_the_card_description_is_escaped_once(client, topic, publisher):
    paper = paper_in_review(topic, 1)
    summary = paper.sections.get(kind="summary", is_current=True)
    review.edit_section(summary.pk, "Speech & gesture, <together>.", summary.version, publisher)
    paper = publish(paper, publisher)
    page = client.get(paper.get_absolute_url()).content.decode()
    assert meta(page, "og:description") == "Speech &amp; gesture, &lt;together&gt;."
