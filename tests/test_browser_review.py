"""A real browser: an editor fixes a flagged section and approves; a publisher publishes; readers see the fix.

Runs Debian's Chromium through Playwright. Screenshots of each step are saved under
test-artifacts/browser/ (the path is printed).
"""

import shutil

import pytest

from papers import lifecycle
from papers.models import Paper, Section

from .conftest import ROOT, needs_chromium
from .factories import SCANNED, make_reviewed_paper, user_in

SHOTS = ROOT / "test-artifacts" / "browser"

pytestmark = needs_chromium


@pytest.fixture
def shots(request):
    """shots(page, name) saves a screenshot, in a folder per test: tests of this module may run at once in
    different test workers."""
    folder = SHOTS / request.node.name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    print(f"\nscreenshots: {folder}")

    def shot(page, name):
        page.screenshot(path=str(folder / f"{name}.png"), full_page=True)

    shot.folder = folder
    return shot


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
    expect(page.locator(".messagelist")).to_contain_text("Method saved; Method approved.")
    page.click("button[value=approve_all]")
    expect(page.locator(".messagelist")).to_contain_text(f"{flagged.arxiv_id}: 3 section(s) approved.")
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
    assert sorted(p.name for p in shots.folder.iterdir()) == [f"{n}.png" for n in (
        "1-editor-queue", "2-editor-fixes-method", "3-editor-approved-all", "4-publisher-published",
        "5-reader-sees-the-fix")]


# Every button of a publisher's page, pressed in turn; the ones that leave the paper come last.
BUTTONS = ["save:method", "save_approve:summary", "regenerate:conclusion", "figures", "check_licence",
           "figure_licence", "schedule", "approve_all", "regenerate", "approve_all_next", "approve_publish",
           "approve_publish_next", "reject"]


def button(page, paper, name):
    action, _, kind = name.partition(":")
    if kind:
        section = Section.objects.get(paper=paper, kind=kind, is_current=True)
        return page.locator(f'button[value="{action}:{section.pk}"]')
    return page.locator(f'button[value="{action}"]')


@pytest.mark.django_db(transaction=True)
def test_text_typed_in_a_box_survives_every_button_of_the_page(
    page, live_server, topic, fake_arxiv, django_user_model, shots
):
    from playwright.sync_api import expect

    paper = make_reviewed_paper(topic, fake_arxiv, 1)
    make_reviewed_paper(topic, fake_arxiv, 2)
    user_in(django_user_model, "publisher", "Publisher")
    log_in(page, live_server.url, "publisher")
    review = f"{live_server.url}/admin/papers/paper/{paper.pk}/review/"
    for n, name in enumerate(BUTTONS):
        page.goto(review)
        typed = f"1. Typed by the editor before pressing {name} ({n})."
        page.locator("#section-method textarea").fill(typed)
        page.locator("input[name=reason]").fill("a duplicate")
        page.locator("input[name=publish_at]").fill("2099-01-01T10:00")
        with page.expect_navigation():
            button(page, paper, name).click()
        expect(page.locator(".messagelist")).to_be_visible()
        method = Section.objects.get(paper=paper, kind="method", is_current=True)
        assert method.body == typed, f"{name} lost the typed text"
    shots(page, "typed-text-after-every-button")


@pytest.mark.django_db(transaction=True)
def test_typed_text_comes_back_after_a_reload(page, live_server, topic, fake_arxiv, django_user_model, shots):
    from playwright.sync_api import expect

    paper = make_reviewed_paper(topic, fake_arxiv, 1)
    user_in(django_user_model, "editor", "Editor")
    log_in(page, live_server.url, "editor")
    page.goto(f"{live_server.url}/admin/papers/paper/{paper.pk}/review/")
    page.locator("#section-summary textarea").fill("Typed, then the tab crashed.")
    page.on("dialog", lambda dialog: dialog.accept())  # the "leave the page?" warning
    page.reload()
    expect(page.locator("#section-summary textarea")).to_have_value("Typed, then the tab crashed.")
    expect(page.locator("#restored")).to_be_visible()
    shots(page, "restored-after-reload")
    page.click(f'button[value="save:{Section.objects.get(paper=paper, kind="summary", is_current=True).pk}"]')
    expect(page.locator(".messagelist")).to_contain_text("One-line summary saved")
    page.reload()
    expect(page.locator("#restored")).to_be_hidden()


@pytest.mark.django_db(transaction=True)
def test_an_editor_and_a_publisher_clear_a_ten_paper_queue_with_the_keyboard(
    page, live_server, topic, fake_arxiv, django_user_model, shots
):
    from playwright.sync_api import expect

    papers = [make_reviewed_paper(topic, fake_arxiv, n, pdf=SCANNED if n in (1, 7) else "text") for n in range(1, 11)]
    user_in(django_user_model, "editor", "Editor")
    user_in(django_user_model, "publisher", "Publisher")
    log_in(page, live_server.url, "editor")
    first = Paper.objects.review_queue().first()
    loads = []
    page.on("load", lambda p: loads.append(p.url))
    page.goto(f"{live_server.url}/admin/papers/paper/{first.pk}/review/")
    page.keyboard.press("?")
    expect(page.locator("#shortcuts-help")).to_be_visible()
    shots(page, "shortcuts")
    page.keyboard.press("Escape")
    edited = []
    for n in range(len(papers)):
        if n < 2:  # edits in two papers: the key takeaways, reached with j j
            page.keyboard.press("j")
            page.keyboard.press("j")
            expect(page.locator("#section-key_takeaways textarea")).to_be_focused()
            page.keyboard.press("Control+a")
            page.keyboard.type(f"- Fixed by the editor in paper {n}.")
            page.keyboard.press("Escape")
            edited.append(Paper.objects.get(pk=int(page.url.split("/")[-3])))
        with page.expect_navigation():
            page.keyboard.press("Shift+A")  # approve all and next
    expect(page.locator(".messagelist")).to_contain_text("The review queue is empty.")
    assert all(not lifecycle.unapproved(p).exists() for p in papers)
    assert [Section.objects.get(paper=p, kind="key_takeaways", is_current=True).body for p in edited] == [
        "- Fixed by the editor in paper 0.", "- Fixed by the editor in paper 1."]
    assert len(loads) <= 2 * len(papers) + 1, loads
    page.click("#logout-form button")

    log_in(page, live_server.url, "publisher")
    page.goto(f"{live_server.url}/admin/papers/paper/?review=ready")
    expect(page.locator("#result_list tbody tr")).to_have_count(10)
    page.goto(f"{live_server.url}/admin/papers/paper/{papers[0].pk}/review/")
    for _ in papers:
        with page.expect_navigation():
            page.keyboard.press("Shift+P")  # approve, publish and next
    assert Paper.objects.published().count() == 10


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width, height", [(1366, 768), (390, 844)])
def test_the_queue_and_the_review_page_fit_a_laptop_and_a_phone(
    browser, live_server, topic, fake_arxiv, django_user_model, shots, width, height
):
    from playwright.sync_api import expect

    paper = make_reviewed_paper(topic, fake_arxiv, 1, pdf=SCANNED)
    make_reviewed_paper(topic, fake_arxiv, 2)
    user_in(django_user_model, "publisher", "Publisher")
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    try:
        log_in(page, live_server.url, "publisher")
        expect(page.locator("#result_list")).to_contain_text("0/4")
        overflow = "document.documentElement.scrollWidth - window.innerWidth"
        assert page.evaluate(overflow) <= 0, "the queue is wider than the window"
        shots(page, f"queue-{width}")
        page.goto(f"{live_server.url}/admin/papers/paper/{paper.pk}/review/")
        expect(page.locator(".abstract")).to_contain_text("monocular video")
        assert page.evaluate(overflow) <= 0, "the review page is wider than the window"
        shots(page, f"review-{width}")
    finally:
        context.close()
