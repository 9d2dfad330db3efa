"""What readers see: digests by topic and day, paper pages, listings; never anything unpublished."""

import re

import pytest

from papers.models import Paper

from .site_fixtures import SECRET_MARKERS, public_urls, site  # noqa: F401


def get(client, url, **headers):
    response = client.get(url, **headers)
    assert response.status_code == 200, url
    return response.content.decode()


def test_nothing_unpublished_appears_on_any_page_or_feed(client, site):
    for url in public_urls(site):
        page = get(client, url)
        for marker in SECRET_MARKERS:
            assert marker not in page, f"{marker} leaked on {url}"


def test_drafts_and_rejected_papers_are_not_found(client, site):
    assert client.get(site["draft"].get_absolute_url()).status_code == 404
    assert client.get(site["rejected"].get_absolute_url()).status_code == 404
    assert set(Paper.objects.published()) == {site["avatar"], site["belle"]}


def test_home_shows_the_latest_digest_of_each_topic(client, site):
    page = get(client, "/")
    assert site["topic"].name in page and "2 papers" in page
    assert site["avatar"].title in page and site["belle"].title in page


def test_the_day_digest_has_every_section_and_figure_in_the_seed_posts_shape(client, site):
    avatar = site["avatar"]
    page = get(client, f"/t/{site['topic'].slug}/{avatar.published_on}/")
    for heading in ("One-line summary", "Key takeaways", "Method", "Conclusion"):
        assert page.count(f">{heading}</h3>") == 2, heading
    assert page.count("<figure>") == 2  # each paper's lead figure, pre-selected
    assert 'loading="lazy"' in page and "Fig. 1. From a short monocular video" in page
    assert f'href="https://arxiv.org/abs/{avatar.arxiv_id}v1"' in page
    assert get(client, f"/t/{site['topic'].slug}/").count("2 papers") == 1


def test_the_paper_page_has_links_bibtex_provenance_and_related_papers(client, site):
    avatar = site["avatar"]
    page = get(client, avatar.get_absolute_url())
    assert "@misc{" in page and f"eprint = {{{avatar.arxiv_id}}}" in page
    assert "author = {Ada Lovelace and Alan Turing}" in page
    assert re.search(r"Summarized by textrank on \d{4}-\d\d-\d\d \(sentences quoted from the paper\), reviewed by an "
                     r"editor on \d{4}-\d\d-\d\d", page)
    assert "Related papers" in page and site["belle"].title in page
    assert 'lang="en"' in page


def test_category_and_author_listings(client, site):
    assert site["avatar"].title in get(client, "/category/cs.CV/")
    assert "No such" not in get(client, "/category/hep-th/") and site["avatar"].title not in get(client, "/category/hep-th/")
    assert site["avatar"].title in get(client, "/author/Ada Lovelace/")
    assert site["avatar"].title not in get(client, "/author/Ada/")


def test_the_interface_follows_accept_language_and_the_switch(client, site):
    page = get(client, "/", HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9")
    assert '<html lang="zh-hans">' in page and "最新摘要" in page and "2 篇论文" in page
    response = client.get("/lang/en/?next=/t/virtual-humans/")
    assert response.status_code == 302 and response["Location"] == "/t/virtual-humans/"
    assert "Latest digests" in get(client, "/", HTTP_ACCEPT_LANGUAGE="zh-CN")
    assert client.get("/lang/en/?next=https://evil.example/")["Location"] == "/"


def test_feeds_and_pages_are_discoverable(client, site):
    page = get(client, f"/t/{site['topic'].slug}/")
    assert page.count('rel="alternate"') == 4
    assert 'type="application/atom+xml"' in page and f"/t/{site['topic'].slug}/feed/rss/" in page


def test_static_files_are_served_by_the_app(client, db):
    response = client.get("/static/site.css")
    assert response.status_code == 200
    assert b"prefers-color-scheme: dark" in b"".join(response.streaming_content)


@pytest.mark.parametrize("url", ["/t/nope/", "/t/virtual-humans/2020-01-01/", "/t/virtual-humans/not-a-date/",
                                 "/paper/0000.00000/"])
def test_unknown_things_are_404(client, site, url):
    assert client.get(url).status_code == 404
