"""What a reader sees of a paper: its abstract, its arXiv dates, the way back, figures where expected, one order,
and formulas as MathML."""

import re
from datetime import datetime, timezone

import lxml.html
import pymupdf
import pytest
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from PIL import Image

from papers.editorial import review
from papers.ingest import figures
from papers.models import Figure, Paper

from .factories import paper_in_review, publish

SUBMITTED = datetime(2026, 11, 2, 17, 0, tzinfo=timezone.utc)
UPDATED = datetime(2026, 11, 20, 9, 30, tzinfo=timezone.utc)


def get(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def test_the_paper_page_has_the_abstract_the_arxiv_dates_and_the_way_back(client, topic, publisher):
    paper = publish(paper_in_review(topic, 1, arxiv_published=SUBMITTED, arxiv_updated=UPDATED,
                                    categories=["cs.GR", "cs.CV"], primary_category="cs.CV"), publisher)
    page = get(client, paper.get_absolute_url())
    assert '<section class="digest-section abstract"' in page and paper.publication.abstract[:60] in page
    assert 'Submitted to arXiv <time datetime="2026-11-02">2026-11-02</time>' in page
    assert 'updated <time datetime="2026-11-20">2026-11-20</time>, version 1 · ' in page
    assert f'published here <time datetime="{paper.published_on}">' in page
    assert page.index('class="cat primary">cs.CV<') < page.index('class="cat">cs.GR<'), "the primary category first"
    crumbs = page[page.index('<nav class="breadcrumbs"'):page.index("</nav>", page.index('<nav class="breadcrumbs"'))]
    assert f'href="/t/{topic.slug}/"' in crumbs and f'href="/t/{topic.slug}/{paper.published_on}/#p-{paper.pk}"' in crumbs
    heading = re.search(r"<h1[^>]*>(.*?)</h1>", page, re.S).group(1)
    assert "<a " not in heading, "the title does not link to the page it is on"


def test_the_figures_come_after_the_key_takeaways_at_full_resolution(client, topic, publisher):
    paper = publish(paper_in_review(topic, 1), publisher)
    page = get(client, paper.get_absolute_url())
    figure = page.index("<figure>")
    assert page.index('class="digest-section key_takeaways"') < figure < page.index('class="digest-section method"')
    lead = paper.figures.get(kept=True)
    assert f'/media/{lead.thumbnail} 480w, /media/{lead.image} {lead.width}w' in page
    thumbnail = Image.open(settings.MEDIA_ROOT / lead.thumbnail)
    assert thumbnail.width == lead.thumbnail_width == 480


@pytest.mark.parametrize("size, thumbnail", [((2000, 600), 480), ((300, 1200), 240), ((300, 200), 300)])
def test_srcset_declares_the_width_each_picture_has(tmp_path, settings, size, thumbnail):
    """A tall figure's thumbnail is narrower than 480 px, a small one's is the figure itself."""
    doc = pymupdf.open()
    page = doc.new_page(width=size[0] * 72 / 150, height=size[1] * 72 / 150)
    page.draw_rect(page.rect, color=None, fill=(0.2, 0.4, 0.8))
    found = figures.Found(1, page.rect, "Figure 1", "Figure 1: a block.")
    files = figures.render(doc, found, tmp_path, "figures")
    made = Image.open(tmp_path / files["thumbnail"].removeprefix("figures/"))
    figure = Figure(width=files["width"], height=files["height"])
    assert (files["width"], files["height"]) == size and made.width == figure.thumbnail_width == thumbnail
    html = render_to_string("papers/_figures.html", {"figures": [Figure(width=size[0], height=size[1], thumbnail="t",
                                                                         image="i", paper_version=1)],
                                                       "MEDIA_URL": "/media/"})
    srcset = re.search(r'srcset="([^"]+)"', html).group(1)
    assert srcset == (f"/media/t {thumbnail}w, /media/i {size[0]}w" if thumbnail < size[0] else f"/media/i {size[0]}w")


def test_the_day_digest_folds_the_abstract_and_lists_the_newest_first(client, topic, publisher):
    first = publish(paper_in_review(topic, 1), publisher)
    second = publish(paper_in_review(topic, 2), publisher)
    page = get(client, reverse("papers:day", args=[topic.slug, second.published_on]))
    assert page.count('<details class="abstract"') == 2
    assert page.index(f'id="p-{second.pk}"') < page.index(f'id="p-{first.pk}"'), "newest first, as on the home page"
    home = get(client, "/")
    assert home.index(second.publication.title) < home.index(first.publication.title)


def test_formulas_in_titles_abstracts_and_sections_are_mathml(client, topic, publisher):
    paper = paper_in_review(topic, 1, title=r"A $360^o$ view in $\mathcal{O}(n)$ time",
                            abstract=r"We render $x_1$ at $5 and $10 per frame, with $\left( x$ left as it is.")
    summary = paper.sections.get(kind="summary", is_current=True)
    review.edit_section(summary.pk, r"Costs fall as $n^2$ grows.", summary.version, publisher)
    paper = publish(Paper.objects.get(pk=paper.pk), publisher)
    for url in [paper.get_absolute_url(), "/", reverse("papers:day", args=[topic.slug, paper.published_on])]:
        # The <title>, the cards and the BibTeX are plain text (BibTeX keeps LaTeX).
        page = re.sub(r"<pre>.*?</pre>", "", get(client, url).split("<body>", 1)[1], flags=re.S)
        assert "<math" in page and "<msup><mn>360</mn><mi>o</mi></msup>" in page, url
        assert "$360^o$" not in page, url
    page = get(client, paper.get_absolute_url())
    assert "<msub><mi>x</mi><mn>1</mn></msub>" in page and "<msup><mi>n</mi><mn>2</mn></msup>" in page
    assert "$5 and $10" in page, "money is not a formula"
    assert r"$\left( x$" in page, "a formula latex2mathml cannot read stays as the authors wrote it"
    for feed in ["/feed/rss/", "/feed/atom/", f"/t/{topic.slug}/feed/rss/", f"/t/{topic.slug}/feed/atom/"]:
        body = get(client, feed)
        assert "&lt;msup&gt;&lt;mi&gt;n&lt;/mi&gt;&lt;mn&gt;2" in body, f"{feed}: the item's content carries the MathML"
    snippet = get(client, "/search/?q=render").split('class="snippet"', 1)[1].split("</p>", 1)[0]
    assert "<msub><mi>x</mi><mn>1</mn></msub>" in snippet and "$x_1$" not in snippet, "a snippet's formulas too"


def test_headings_are_in_the_readers_language_and_the_text_in_its_own(client, topic, publisher):
    """A reader who chose Chinese gets the interface in Chinese and the paper as it was written: the headings
    say so with their lang, the text with its own."""
    paper = publish(paper_in_review(topic, 1), publisher)
    pages = {}
    for language in ("en", "zh-hans"):
        client.cookies["django_language"] = language
        pages[language] = lxml.html.fromstring(get(client, paper.get_absolute_url()))
    page = pages["zh-hans"]
    assert page.get("lang") == "zh-hans"

    def lang_of(element):
        return next(e.get("lang") for e in (element, *element.iterancestors()) if e.get("lang"))

    section = '//*[contains(concat(" ", @class, " "), " digest-section ")]'
    headings = page.xpath(f"{section}/h2 | {section}/h3")
    assert {h.text_content() for h in headings} >= {"摘要", "一句话总结", "要点"}
    assert {lang_of(h) for h in headings} == {"zh-hans"}
    texts = page.xpath(f"{section}//p")
    assert texts and {lang_of(p) for p in texts} == {"en"}
    assert [p.text_content() for p in texts] == [p.text_content() for p in pages["en"].xpath(f"{section}//p")]


def test_related_papers_show_their_published_title(client, topic, publisher):
    first = publish(paper_in_review(topic, 1), publisher)
    second = publish(paper_in_review(topic, 2), publisher)
    Paper.objects.filter(pk=second.pk).update(title="AN UNPUBLISHED NEW TITLE")
    page = get(client, first.get_absolute_url())
    assert "AN UNPUBLISHED NEW TITLE" not in page
