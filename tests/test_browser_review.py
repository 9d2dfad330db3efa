"""A real browser: an editor fixes a flagged section and approves; a publisher publishes; readers see the fix.

Runs Debian's Chromium through Playwright. Screenshots of each step are saved under
test-artifacts/browser/ (the path is printed).
"""

import shutil

import pytest

from papers.models import Paper, Section

from .browser import browser, needs_chromium, page  # noqa: F401
from .conftest import ROOT
from .factories import user_in
from .review_fixtures import SCANNED, make_reviewed_paper

SHOTS = ROOT / "test-artifacts" / "browser"

pytestmark = needs_chromium


@pytest.fixture
def shots():
    shutil.rmtree(SHOTS, ignore_errors=True)
    SHOTS.mkdir(parents=True)
    print(f"\nscreenshots: {SHOTS}")
    return lambda page, name: page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def log_in(page, base, username):
    page.goto(f"{base}/admin/login/?next=/admin/papers/paper/")
    page.fill("#id_username", username)
    page.fill("#id_password", "pw")
    page.click("input[type=submit]")


@pytest.mark.django_db(transaction=True)
def test_editor_fixes_and_approves_publisher_publishes_reader_sees_the_fix(
    page, live_server, topic, fake_arxiv, django_user_model, shots
):
    from playwright.sync_api import expect

    flagged = make_reviewed_paper(topic, fake_arxiv, 1, pdf=SCANNED)
    make_reviewed_paper(topic, fake_arxiv, 2)
    user_in(django_user_model, "editor", "Editor")
    user_in(django_user_model, "publisher", "Publisher")
    base = live_server.url

    log_in(page, base, "editor")
    expect(page.locator("#result_list")).to_contain_text("No text in the PDF")
    rows = page.locator("#result_list tbody tr")
    expect(rows.first).to_contain_text(flagged.arxiv_id)  # the worst flags first
    shots(page, "1-editor-queue")

    page.click(f"text={flagged.title}")
    expect(page.locator("h1")).to_contain_text("Review:")
    method = page.locator("#section-method textarea")
    method.fill("1. The collector marks live objects.\n2. It compacts the heap in two passes.")
    shots(page, "2-editor-fixes-method")
    method.press("Control+Enter")
    expect(page.locator(".messagelist")).to_contain_text("Method saved and approved.")
    page.click("button[value=approve_all]")
    expect(page.locator(".messagelist")).to_contain_text("3 section(s) approved.")
    expect(page.locator("button[value=publish]")).to_have_count(0)  # editors cannot publish
    shots(page, "3-editor-approved-all")
    page.click("#logout-form button")

    log_in(page, base, "publisher")
    page.goto(f"{base}/admin/papers/paper/{flagged.pk}/review/")
    page.click("button[value=publish]")
    expect(page.locator(".messagelist")).to_contain_text(f"{flagged.arxiv_id}: published.")
    shots(page, "4-publisher-published")

    page.goto(f"{base}{flagged.get_absolute_url()}")
    expect(page.locator("main")).to_contain_text("It compacts the heap in two passes.")
    expect(page.locator("main ol li")).to_have_count(2)
    shots(page, "5-reader-sees-the-fix")
    assert Paper.objects.get(pk=flagged.pk).status == Paper.Status.PUBLISHED
    assert Section.objects.get(paper=flagged, kind="method", is_current=True).reviewer.username == "editor"
    assert sorted(p.name for p in SHOTS.iterdir()) == [f"{n}.png" for n in (
        "1-editor-queue", "2-editor-fixes-method", "3-editor-approved-all", "4-publisher-published",
        "5-reader-sees-the-fix")]
