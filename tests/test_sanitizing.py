"""A corpus of XSS payloads in every field a reader sees never yields script in a page or a feed."""

from html.parser import HTMLParser

import feedparser
import pytest
from django.test import TestCase

from papers import lifecycle
from papers.editorial import review
from papers.models import Figure, Paper, Section, Topic
from papers.public.rendering import render_markdown

from .factories import site_urls

PAYLOADS = [
    "<script>alert('xss-1')</script>",
    "<img src=x onerror=alert('xss-2')>",
    "<svg onload=alert('xss-3')>",
    "[click](javascript:alert('xss-4'))",
    "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "<a href=\"javascript:alert('xss-5')\">x</a>",
    "<iframe src=\"https://evil.example/\"></iframe>",
    "![pixel](https://evil.example/track.png)",
    "<details open ontoggle=alert('xss-6')>",
    "\"><script>alert('xss-7')</script>",
    "<style>body{display:none}</style>",
    "<b onmouseover=alert('xss-8')>bold</b>",
    "[http](http://plain.example/) and [ok](https://arxiv.org/abs/2409.02634)",
]
CORPUS = "\n\n".join(PAYLOADS)
ACTIVE_TAGS = {"script", "iframe", "svg", "style", "object", "embed", "frame", "base"}


class ActiveContent(HTMLParser):
    """Real tags and attributes that could run or load something; escaped text is not counted."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found = []

    def handle_starttag(self, tag, attrs):
        if tag in ACTIVE_TAGS:
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            value = (value or "").strip().lower()
            if name.startswith("on"):
                self.found.append(f"{tag} {name}=")
            if name in ("href", "src", "action") and value.startswith(("javascript:", "data:", "vbscript:")):
                self.found.append(f"{tag} {name}={value[:20]}")
            if tag == "img" and "evil" in value:
                self.found.append("tracking image")


def dangerous(html):
    finder = ActiveContent()
    finder.feed(html)
    return finder.found


def dangerous_in_feed(xml):
    """Read the feed as the least careful reader would: every field of every entry as HTML."""
    feed = feedparser.parse(xml, sanitize_html=False, resolve_relative_uris=False)
    found = []
    for entry in feed.entries:
        for field in ("title", "summary", "author"):
            found += dangerous(entry.get(field, ""))
        for content in entry.get("content", []):
            found += dangerous(content.value)
    return found + dangerous(feed.feed.get("title", ""))


def test_the_renderer_keeps_text_and_drops_everything_active():
    html = str(render_markdown(CORPUS))
    assert dangerous(html) == []
    assert 'href="https://arxiv.org/abs/2409.02634"' in html
    assert 'href="http://plain.example/"' not in html, "https links only"
    assert "bold" in html and "<b" not in html
    assert "&lt;script&gt;" in html, "raw HTML is shown as text, not dropped silently"


@pytest.mark.parametrize("href", ["//evil.example/x", "/\\evil.example/x", "\\\\evil.example/x", " //evil.example/x",
                                  "relative/path", "/paper/2401.00001/", "javascript:alert(1)", "http://plain.example/"])
def test_a_link_that_is_not_absolute_https_loses_its_href(href):
    html = str(render_markdown(f"see [the code]({href}) and [arXiv](HTTPS://arxiv.org/abs/2409.02634)"))
    assert "the code" in html and html.count("href=") == 1, html
    assert 'href="HTTPS://arxiv.org/abs/2409.02634"' in html


@pytest.fixture
def poisoned_site(site):
    avatar, user = site["avatar"], site["user"]
    Paper.objects.filter(pk=avatar.pk).update(title=f"Avatars {PAYLOADS[0]} {PAYLOADS[9]}")
    avatar.refresh_from_db()
    avatar.authors = [f"Eve {PAYLOADS[1]}", "Mallory \"><svg onload=alert(1)>"]
    avatar.save()
    Figure.objects.filter(paper=avatar).update(caption=f"Fig. 1. {PAYLOADS[2]} {PAYLOADS[6]}")
    Topic.objects.filter(pk=site["topic"].pk).update(name=f"Topic {PAYLOADS[0]}")
    for section in Section.objects.filter(paper=avatar, is_current=True):
        review.edit_section(section.pk, CORPUS, section.version, user)
    review.approve_all(avatar, user)
    with TestCase.captureOnCommitCallbacks(execute=True):
        lifecycle.publish(avatar, user)
    return site


def test_no_page_or_feed_carries_script(client, poisoned_site):
    for url in site_urls(poisoned_site) + ["/search/?q=Eve", "/author/Mallory \"><svg onload=alert(1)>/"]:
        response = client.get(url)
        assert response.status_code in (200, 404), url
        body = response.content.decode()
        found = dangerous_in_feed(response.content) if "/feed/" in url else dangerous(body)
        assert found == [], f"{url}: {found}"
    page = client.get(poisoned_site["avatar"].get_absolute_url()).content.decode()
    assert "&lt;script&gt;alert(&#x27;xss-1&#x27;)&lt;/script&gt;" in page, "titles are shown as text, escaped"
    assert 'href="https://arxiv.org/abs/2409.02634"' in page


def test_the_admin_review_page_escapes_generated_text(client, poisoned_site, django_user_model):
    from .factories import user_in

    client.force_login(user_in(django_user_model, "ed", "Editor"))
    page = client.get(f"/admin/papers/paper/{poisoned_site['avatar'].pk}/review/").content.decode()
    assert "<script>" not in page, "no inline script: the Content-Security-Policy forbids it"
    assert dangerous(page[page.index('id="review"'):page.index('<script src=')]) == []


def test_a_formula_in_a_link_or_in_code_stays_as_typed():
    html = str(render_markdown("see [the page](https://x.org/$a$) and `$b$`, then $c$."))
    assert 'href="https://x.org/$a$" rel="noopener noreferrer nofollow"' in html
    assert "<code>$b$</code>" in html
    assert html.count("<math") == 1
