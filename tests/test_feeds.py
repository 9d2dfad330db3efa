"""RSS and Atom: valid, complete, only published content, readable by a real feed reader."""

import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import feedparser
import pytest
from django.conf import settings
from django.test import TestCase

from papers import lifecycle
from papers.editorial import review
from papers.models import Section
from papers.public.feeds import clean

from .factories import SECRET_MARKERS

FEEDS = ["/feed/rss/", "/feed/atom/", "/t/virtual-humans/feed/rss/", "/t/virtual-humans/feed/atom/"]

# The W3C Feed Validation Service's own validator, run offline (tests/vendor/README.md says why it is vendored).
sys.path.insert(0, str(Path(__file__).parent / "vendor"))
import feedvalidator  # noqa: E402
from feedvalidator import compatibility  # noqa: E402
from feedvalidator.formatter.text_plain import Formatter  # noqa: E402
from feedvalidator.logging import Error, Warning  # noqa: E402


def validator_findings(body, url):
    """What feedvalidator.org would say of the feed served at `url`, at its default level ("AA"): one line per
    error or warning."""
    events = feedvalidator.validateString(body, firstOccurrenceOnly=1, base=url)["loggedEvents"]
    return list(Formatter([e for e in compatibility.AA(events) if isinstance(e, (Error, Warning))]))


def parse(client, url):
    response = client.get(url)
    assert response.status_code == 200
    feed = feedparser.parse(response.content)
    assert not feed.bozo, f"{url}: {feed.get('bozo_exception')}"
    return feed, response


@pytest.mark.parametrize("url", FEEDS)
def test_every_feed_is_valid_and_lists_the_published_papers(client, site, url):
    feed, response = parse(client, url)
    assert feed.version in ("rss20", "atom10")
    titles = [entry.title for entry in feed.entries]
    assert titles == [site["belle"].title, site["avatar"].title], "newest first, nothing else"
    avatar = feed.entries[1]
    paper = site["avatar"]
    assert avatar.link == f"http://testserver{paper.get_absolute_url()}"
    assert avatar.id == (avatar.link if "rss" in url else f"tag:{settings.FEED_ID_AUTHORITY},2026:paper/{paper.arxiv_id}"), \
        "RSS and Atom items have ids of their own"
    assert avatar.published_parsed
    assert [a.name for a in avatar.authors] == ["Ada Lovelace", "Alan Turing"], "one author element per author"
    assert {t.term for t in avatar.tags} == {"cs.CV", "cs.GR"}
    body = avatar.summary
    assert "<ul>" in body and "<li>" in body  # key takeaways as HTML
    assert f'href="{paper.publication.abs_url}"' in body and f'href="{paper.publication.pdf_url}"' in body
    lead = paper.figures.get(kept=True)
    assert "<img" in body and f'src="http://testserver/media/{lead.fallback or lead.image}"' in body
    assert not [link for link in avatar.links if link.rel == "enclosure"], "no enclosure for a reader to enqueue"
    if "atom" in url:
        assert avatar.updated_parsed and b"<updated>" in response.content.split(b"<entry>")[1], \
            "every entry has its updated element"
    for marker in SECRET_MARKERS:
        assert marker not in response.content.decode()


@pytest.mark.parametrize("url", FEEDS)
def test_the_w3c_feed_validator_finds_nothing_wrong_with_any_feed(client, site, url):
    # A paper with what trips feeds: math, markup and an ampersand in the title, Chinese, no figure.
    belle = site["belle"]
    lifecycle.edit_metadata(belle, {"title": "Fast $\\mathcal{O}(n)$ <b>avatars</b> & 数字人", "authors": []},
                            site["user"])
    review.approve_all(belle, site["user"])
    with TestCase.captureOnCommitCallbacks(execute=True):
        lifecycle.publish(belle, site["user"])
    response = client.get(url)
    assert validator_findings(response.content, f"http://testserver{url}") == []


def test_the_feed_validator_reports_what_it_should(client, site):
    """The validator is no rubber stamp: an Atom entry without <updated> is an error, as RFC 4287 has it."""
    body = client.get("/feed/atom/").content
    entry = body.split(b"<entry>")[1]
    broken = body.replace(entry, entry.replace(entry[entry.index(b"<updated>"):entry.index(b"</updated>") + 10], b""))
    findings = validator_findings(broken, "http://testserver/feed/atom/")
    assert any("Missing entry element: updated" in line for line in findings), findings


def test_the_site_feed_keeps_the_latest_fifty(client, topic, db):
    from papers.measurement.seeding import seed_papers

    seed_papers(60, topic=topic)
    feed, _ = parse(client, "/feed/rss/")
    assert len(feed.entries) == 50


def test_xml_illegal_characters_are_stripped(client, site):
    body = "Clean text\x00 with a form feed\x0c and a vertical tab\x0b."
    method = Section.objects.get(paper=site["avatar"], kind="summary", is_current=True)
    review.edit_section(method.pk, body, method.version, site["user"])
    review.approve_all(site["avatar"], site["user"])
    with TestCase.captureOnCommitCallbacks(execute=True):
        lifecycle.publish(site["avatar"], site["user"])
    feed, response = parse(client, "/feed/atom/")
    assert b"\x00" not in response.content and b"\x0c" not in response.content
    assert "Clean text with a form feed and a vertical tab." in response.content.decode()
    assert clean("a\x01b\ufffec") == "abc"


@pytest.mark.skipif(not shutil.which("newsboat"), reason="Debian's newsboat is not installed (apt-get install newsboat)")
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("path", ["/t/virtual-humans/feed/atom/", "/feed/rss/"])
def test_newsboat_a_real_feed_reader_reads_the_feed(live_server, site, tmp_path, path):
    # A fresh cache per feed: newsboat keeps one copy of an item per guid.
    (tmp_path / "urls").write_text(f"{live_server.url}{path}\n")
    (tmp_path / "config").write_text(f'auto-reload no\nerror-log "{tmp_path}/error.log"\n')
    subprocess.run(
        ["newsboat", "-q", "-u", "urls", "-c", "cache.db", "-C", "config", "-x", "reload"],
        cwd=tmp_path, env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}, stdin=subprocess.DEVNULL,
        capture_output=True, timeout=60,
    )
    with sqlite3.connect(tmp_path / "cache.db") as db:
        items = db.execute("SELECT i.title, i.url FROM rss_item i").fetchall()
    errors = (tmp_path / "error.log").read_text() if (tmp_path / "error.log").exists() else ""
    assert not errors.strip(), errors
    assert sorted(t for t, _ in items) == sorted([site["avatar"].title, site["belle"].title])
    assert all(url.startswith(live_server.url + "/paper/") for _, url in items)
