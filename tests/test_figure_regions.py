"""An editor corrects a figure's region on the rendered page; the figure as it was stays in the history."""

import shutil

import pytest
from django.urls import reverse
from PIL import Image

from papers.editorial import figure_regions, review
from papers.models import Figure, Paper, PaperEvent

from .conftest import ROOT, needs_chromium
from .factories import make_reviewed_paper, publish
from .test_browser_review import log_in

SHOTS = ROOT / "test-artifacts" / "figure-regions"


def review_url(paper):
    return reverse("admin:papers_paper_review", args=[paper.pk])


def lead(paper):
    return Figure.objects.editable(paper).get(label="Figure 1")


def correct(client, paper, figure, region, drawn_on=None):
    """Press Save figures with a region typed for `figure`, as the review page sends it."""
    data = {"action": "figures", "figures_shown": "1", "kept": [f.pk for f in Figure.objects.editable(paper)
                                                                 if f.kept],
            f"region_{figure.pk}": region, f"region_sha_{figure.pk}": drawn_on or figure.sha256}
    return client.post(review_url(paper), data, follow=True)


def messages_of(response):
    return [str(m) for m in response.context["messages"]]


@pytest.mark.django_db
def test_an_editor_corrects_a_region_and_the_figure_as_it_was_stays_in_the_history(
        client, editor, reviewed_paper, settings):
    client.force_login(editor)
    before = lead(reviewed_paper)
    page = client.get(review_url(reviewed_paper))
    assert f'name="region_{before.pk}" id="region_{before.pk}" value="{figure_regions.as_text(before.bbox)}"' \
        in page.content.decode()

    response = correct(client, reviewed_paper, before, "60, 60, 300, 218")
    assert messages_of(response) == [f"{reviewed_paper.arxiv_id}: Figure 1 region saved."]
    after = lead(reviewed_paper)
    assert after.pk != before.pk and after.bbox == [60.0, 60.0, 300.0, 218.0]
    assert after.kept and after.order == before.order and not after.public
    picture = Image.open(settings.MEDIA_ROOT / after.image)
    assert picture.size == (after.width, after.height) and after.width < before.width
    old = Figure.objects.get(pk=before.pk)
    assert old.replaced_by == after and not old.kept and (settings.MEDIA_ROOT / old.image).exists()
    event = PaperEvent.objects.filter(paper=reviewed_paper, step="figures").latest("pk")
    assert event.user == editor and event.message == (
        f"Figure 1 (p. 2) region {figure_regions.as_text(before.bbox)} corrected to 60, 60, 300, 218")
    assert "corrected to 60, 60, 300, 218" in client.get(review_url(reviewed_paper)).content.decode()


@pytest.mark.django_db
def test_readers_keep_the_published_figure_until_the_paper_is_published_again(
        client, editor, publisher, reviewed_paper):
    paper = publish(reviewed_paper, publisher)
    published = lead(paper)
    client.force_login(editor)
    correct(client, paper, published, "60, 60, 300, 218")
    paper.refresh_from_db()
    assert paper.status == Paper.Status.CHANGED
    assert list(Figure.objects.public().filter(paper=paper).order_by("order"))[0] == published, \
        "the same lead figure, in its place"
    what, shown, waiting = review.waiting_changes(paper)[-1]
    assert what == "figures" and shown + " (Figure 1 redrawn)" == waiting, "the page says what waits"
    publish(paper, publisher)
    assert [f.bbox for f in Figure.objects.public().filter(paper=paper, label="Figure 1")] == [[60, 60, 300, 218]]


@pytest.mark.django_db
def test_two_editors_correcting_the_same_figure_the_second_is_told_and_the_first_stands(
        client, editor, reviewed_paper):
    client.force_login(editor)
    seen = lead(reviewed_paper)
    correct(client, reviewed_paper, seen, "60, 60, 300, 218")
    # The second editor's page still shows the figure as it was: their form names it.
    data = {"action": "figures", "figures_shown": "1", "kept": [seen.pk], f"region_{seen.pk}": "60, 60, 400, 218",
            f"region_sha_{seen.pk}": seen.sha256}
    response = client.post(review_url(reviewed_paper), data, follow=True)
    assert any("Another editor corrected Figure 1 meanwhile; yours was not saved." in m
               and "your region was 60, 60, 400, 218." in m for m in messages_of(response)), messages_of(response)
    assert lead(reviewed_paper).bbox == [60, 60, 300, 218]


@pytest.mark.django_db
@pytest.mark.parametrize("region, message", [
    ("60, 60, 65, 218", "at least 10 pt wide and high"),
    ("700, 900, 800, 1000", "must lie on its page (595 × 842 pt)"),
    ("a figure", "four numbers in points"),
    ("60 60 300", "four numbers in points"),
])
def test_a_region_that_cannot_be_a_figure_is_refused_and_the_rest_of_the_page_is_saved(
        client, editor, reviewed_paper, region, message):
    client.force_login(editor)
    figure = lead(reviewed_paper)
    other = Figure.objects.editable(reviewed_paper).get(label="Figure 2")
    data = {"action": "figures", "figures_shown": "1", "kept": [figure.pk, other.pk],
            f"region_{figure.pk}": region, f"region_sha_{figure.pk}": figure.sha256}
    response = client.post(review_url(reviewed_paper), data, follow=True)
    assert any(message in m for m in messages_of(response)), messages_of(response)
    assert lead(reviewed_paper).pk == figure.pk and lead(reviewed_paper).bbox == figure.bbox
    assert Figure.objects.get(pk=other.pk).kept, "the ticked figure was saved before the region was refused"


@pytest.mark.django_db
def test_the_page_to_draw_on_is_for_editors_and_only_the_pdf_s_pages(client, editor, reviewed_paper):
    url = reverse("admin:papers_paper_page", args=[reviewed_paper.pk, 2])
    assert client.get(url).status_code == 302  # to the login page
    client.force_login(editor)
    response = client.get(url)
    assert response["Content-Type"] == "image/png" and response.content.startswith(b"\x89PNG")
    assert client.get(reverse("admin:papers_paper_page", args=[reviewed_paper.pk, 9])).status_code == 404


@pytest.mark.django_db
def test_without_the_pdf_the_page_offers_no_correction_and_says_why_when_sent_one(
        client, editor, reviewed_paper):
    reviewed_paper.pdf_path().unlink()
    client.force_login(editor)
    figure = lead(reviewed_paper)
    assert f'name="region_{figure.pk}"' not in client.get(review_url(reviewed_paper)).content.decode()
    response = correct(client, reviewed_paper, figure, "60, 60, 300, 218")
    assert any("PDF is no longer stored" in m for m in messages_of(response))
    assert lead(reviewed_paper).pk == figure.pk


@needs_chromium
@pytest.mark.django_db(transaction=True)
def test_an_editor_draws_the_region_on_the_page_in_a_browser(page, live_server, topic, fake_arxiv, editor):
    from playwright.sync_api import expect

    paper = make_reviewed_paper(topic, fake_arxiv, 2)  # GaussHead: Figure 1 spans the page
    figure = lead(paper)
    shutil.rmtree(SHOTS, ignore_errors=True)
    SHOTS.mkdir(parents=True)
    log_in(page, live_server.url, "editor")
    page.goto(f"{live_server.url}{review_url(paper)}")
    page.click(f"#region-{figure.pk} summary")
    drawn = page.locator(f"#region-{figure.pk} .region-page")
    expect(drawn.locator("img")).to_have_js_property("complete", True)
    box = drawn.bounding_box()
    width, height = 595, 842  # the sample's page
    scale = box["width"] / width
    page.mouse.move(box["x"] + 60 * scale, box["y"] + 60 * scale)
    page.mouse.down()
    page.mouse.move(box["x"] + 200 * scale, box["y"] + 150 * scale, steps=5)
    page.mouse.move(box["x"] + 320 * scale, box["y"] + 219 * scale, steps=5)
    page.mouse.up()
    x0, y0, x1, y1 = figure_regions.parse(page.input_value(f"#region_{figure.pk}"))
    assert abs(x0 - 60) < 2 and abs(y0 - 60) < 2 and abs(x1 - 320) < 2 and abs(y1 - 219) < 2
    assert abs(box["height"] / box["width"] - height / width) < 0.01
    page.screenshot(path=str(SHOTS / "1-drawn.png"), full_page=False, clip={
        "x": box["x"], "y": box["y"], "width": box["width"], "height": box["height"] * 0.35})
    page.click("button[value=figures]")
    expect(page.locator(".messagelist")).to_contain_text("Figure 1 region saved")
    corrected = lead(paper)
    assert abs(corrected.bbox[2] - 320) < 2 and corrected.pk != figure.pk
    page.click(f"#region-{corrected.pk} summary")
    page.locator(f"#region-{corrected.pk}").screenshot(path=str(SHOTS / "2-saved.png"))
