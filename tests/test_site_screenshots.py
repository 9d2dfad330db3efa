"""Every public page at phone and desktop widths, light and dark, as a reader's browser shows it.

Screenshots are saved under test-artifacts/site/ (the path is printed); the test checks that
nothing overflows the phone's width and that figures are lazy-loaded thumbnails.
"""

import shutil
from datetime import datetime, timezone

import pytest

from papers.editorial import drafts

from .conftest import ROOT, needs_chromium
from .factories import paper_in_review, publish

SHOTS = ROOT / "test-artifacts" / "site"
WIDTHS = {"phone": (390, 844), "desktop": (1280, 900)}

pytestmark = [needs_chromium, pytest.mark.django_db(transaction=True)]


def test_every_page_at_phone_and_desktop_widths(browser, live_server, site):
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
        "home": "/", "topic": f"/t/{topic.slug}/", "day": f"/t/{topic.slug}/{avatar.published_on}/",
        "paper": avatar.get_absolute_url(), "paper-math": formulas.get_absolute_url(), "search": "/search/?q=avatars",
        "author": "/author/Ada Lovelace/", "subscribe": f"/subscribe/?topic={topic.slug}",
    }
    for device, (width, height) in WIDTHS.items():
        for scheme in ("light", "dark"):
            context = browser.new_context(viewport={"width": width, "height": height}, color_scheme=scheme,
                                          locale="zh-CN" if device == "phone" and scheme == "dark" else "en-US")
            page = context.new_page()
            for name, path in pages.items():
                response = page.goto(f"{live_server.url}{path}")
                assert response.status == 200, path
                overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
                assert overflow <= 0, f"{name} overflows the {device} width by {overflow}px"
                page.screenshot(path=str(SHOTS / f"{name}-{device}-{scheme}.png"), full_page=True)
                if name == "paper-math":
                    widths = page.eval_on_selector_all("h1 math, .abstract math", "els => els.map(e => e.getBoundingClientRect().width)")
                    assert len(widths) == 5 and all(w > 5 for w in widths), f"MathML laid out: {widths}"
                if name == "paper":
                    images = page.eval_on_selector_all(
                        "figure picture", "els => els.map(e => [e.querySelector('img').loading, "
                        "e.querySelector('source[type=\"image/webp\"]').srcset])")
            context.close()
    assert images and all(loading == "lazy" and ".thumb.webp" in src for loading, src in images)
    assert len(list(SHOTS.glob("*.png"))) == len(pages) * 4
