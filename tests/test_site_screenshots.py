"""Every public page at phone and desktop widths, light and dark, in English and Chinese, as a reader's browser
shows it.

Screenshots are saved under test-artifacts/site/ (the path is printed); the test checks that nothing overflows
the phone's width, that the paper with formulas shows them laid out, its abstract, its translation and its dates,
on its page and in the day's digest, and that figures are lazy-loaded thumbnails.
"""

import shutil
from datetime import datetime, timezone

import pytest

from papers.editorial import drafts

from .conftest import ROOT, needs_chromium
from .factories import paper_in_review, publish

SHOTS = ROOT / "test-artifacts" / "site"
WIDTHS = {"phone": (390, 844), "desktop": (1280, 900)}
LANGUAGES = {"en": ("en-US", "Abstract"), "zh": ("zh-CN", "摘要")}

pytestmark = [needs_chromium, pytest.mark.django_db(transaction=True)]


def test_every_page_at_both_widths_light_and_dark_in_english_and_chinese(browser, live_server, site):
    shutil.rmtree(SHOTS, ignore_errors=True)
    SHOTS.mkdir(parents=True)
    print(f"\nscreenshots: {SHOTS}")
    avatar, topic = site["avatar"], site["topic"]
    formulas = paper_in_review(
        topic, 3, title=r"Relighting a $360^o$ head in $\mathcal{O}(n)$ time",
        abstract=r"We relight heads with $k \le 8$ lights; error falls as $\frac{1}{\sqrt{n}}$ for $n$ views.",
        arxiv_published=datetime(2026, 11, 2, 17, tzinfo=timezone.utc),
        arxiv_updated=datetime(2026, 11, 20, 9, tzinfo=timezone.utc))
    # As an LLM backend writes it for a Chinese topic: the abstract translated, a draft reviewed with the rest.
    generation = formulas.generations.get()
    generation.sections["translated_abstract"] = {"text": "我们用不超过 8 盏灯重新照亮头部；误差随视角数增加而下降。",
                                                  "sources": ["abstract"]}
    generation.language = "zh"
    generation.save()
    drafts.add_draft(formulas, generation, "translated_abstract")
    formulas = publish(formulas, site["user"])
    pages = {
        "home": "/", "topic": f"/t/{topic.slug}/", "day": f"/t/{topic.slug}/{formulas.published_on}/",
        "paper": avatar.get_absolute_url(), "paper-math": formulas.get_absolute_url(), "search": "/search/?q=avatars",
        "author": "/author/Ada Lovelace/", "subscribe": f"/subscribe/?topic={topic.slug}",
    }
    for device, (width, height) in WIDTHS.items():
        for scheme in ("light", "dark"):
            for language, (locale, abstract_heading) in LANGUAGES.items():
                context = browser.new_context(viewport={"width": width, "height": height}, color_scheme=scheme,
                                              locale=locale)
                page = context.new_page()
                for name, path in pages.items():
                    response = page.goto(f"{live_server.url}{path}")
                    assert response.status == 200, path
                    # The day digest folds each abstract: open them, as a reader would, for the screenshot.
                    page.eval_on_selector_all("details.abstract", "els => els.forEach(e => e.open = true)")
                    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
                    assert overflow <= 0, f"{name} overflows the {device} width by {overflow}px"
                    page.screenshot(path=str(SHOTS / f"{name}-{device}-{scheme}-{language}.png"), full_page=True)
                    if name in ("paper-math", "day"):
                        shown = formulas_shown(page)
                        assert shown["math"] == 5 and shown["laid_out"], f"{name}: MathML laid out: {shown}"
                        assert shown["abstract"] and shown["translated"], f"{name}: the abstracts are visible"
                    if name == "paper-math":
                        assert page.locator("h2", has_text=abstract_heading).first.is_visible()
                        dates = page.locator("p.dates time").all_inner_texts()
                        assert dates == ["2026-11-02", "2026-11-20", str(formulas.published_on)], dates
                    if name == "paper":
                        images = page.eval_on_selector_all(
                            "figure picture", "els => els.map(e => [e.querySelector('img').loading, "
                            "e.querySelector('source[type=\"image/webp\"]').srcset])")
                context.close()
    assert images and all(loading == "lazy" and ".thumb.webp" in src for loading, src in images)
    assert len(list(SHOTS.glob("*.png"))) == len(pages) * 8


def formulas_shown(page):
    """On the paper with formulas (its own page, or its entry in the day digest): how many formulas its title
    and abstract show, whether each takes up room, and whether its abstract and translation are visible."""
    return page.evaluate("""() => {
        const paper = document.querySelector('h1') && document.querySelector('h1').textContent.includes('Relighting')
            ? document : [...document.querySelectorAll('article.paper')].find(a => a.textContent.includes('Relighting'));
        const math = [...paper.querySelectorAll('h1 math, h2 math, .abstract math')];
        const visible = el => !!el && el.getBoundingClientRect().width > 5 && el.getBoundingClientRect().height > 5;
        return {math: math.length, laid_out: math.every(visible),
                abstract: visible(paper.querySelector('.abstract p')),
                translated: visible(paper.querySelector('.abstract.translated div, .abstract .translated'))};
    }""")
