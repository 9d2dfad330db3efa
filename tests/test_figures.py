"""Figures found from their captions, raster and vector, measured against a hand count."""

import io
import json

import pymupdf
import pytest
from django.core.management import call_command
from PIL import Image, ImageStat

from papers.ingest import figures, pdf
from papers.measurement import figure_measure

from .conftest import DATA, SHARED, shared_file, shared_pdfs

TRUTH = DATA / "figures.json"


def found_in(name):
    with pdf.open_pdf(shared_file("pdfs", name)) as doc:
        return figures.find_all(doc)


@pytest.mark.corpus
def test_the_figure_truth_covers_every_sample_pdf():
    names = {p.name for p in shared_pdfs()} or pytest.skip("../shared/samples is absent")
    truth = json.loads(TRUTH.read_text())
    assert names == {n for n in truth if not n.startswith("_")} | set(truth["_excluded"])


@pytest.mark.corpus
def test_recall_and_precision_of_figures_and_captions_meet_the_targets():
    shared_pdfs() or pytest.skip("../shared/samples is absent")
    rows = figure_measure.measure(SHARED / "pdfs", TRUTH)
    overall = figure_measure.scores(rows)
    vector_only = figure_measure.scores([r for r in rows if r["file"].startswith("1111.2011v2")])
    for scores in (overall, vector_only):
        assert scores["figure_recall"] >= 0.9 and scores["figure_precision"] >= 0.9, scores
        assert scores["caption_recall"] >= 0.9 and scores["caption_precision"] >= 0.9, scores


@pytest.mark.corpus
def test_the_measure_counts_a_miss_and_a_wrong_caption(tmp_path):
    """The score is not a constant: a truth with an extra figure and a changed caption lowers it."""
    shared_pdfs() or pytest.skip("../shared/samples is absent")
    truth = json.loads(TRUTH.read_text())
    name = "1111.2011v2_murray_delmaestro_prb_2col.pdf"
    truth = {name: truth[name]}
    truth[name]["figures"].append({"page": 8, "label": "Figure 4", "caption": "FIG. 4."})
    truth[name]["figures"][0]["caption"] = "FIG. 1. Something else"
    (tmp_path / "truth.json").write_text(json.dumps(truth))
    scores = figure_measure.scores(figure_measure.measure(SHARED / "pdfs", tmp_path / "truth.json"))
    assert scores["figure_recall"] == 3 / 4 and scores["figure_precision"] == 1.0
    assert scores["caption_recall"] == 2 / 4 and scores["caption_precision"] == 2 / 3


@pytest.mark.corpus
def test_vector_plots_are_rendered_with_their_axis_labels(tmp_path):
    with pdf.open_pdf(shared_file("pdfs", "1111.2011v2_murray_delmaestro_prb_2col.pdf")) as doc:
        assert not any(page.get_image_info() for page in doc), "this paper has no raster image at all"
        records = figures.extract_figures(doc, tmp_path, "figures", figures.find_all(doc))
    assert [r["label"] for r in records] == ["Figure 1", "Figure 2", "Figure 3"]
    plot = Image.open(tmp_path / records[2]["image"].removeprefix("figures/")).convert("L")
    assert ImageStat.Stat(plot).stddev[0] > 20, "a drawn plot, not a blank rectangle"
    # The plot's axis labels lie outside its drawn lines and belong in the picture.
    x0, y0, x1, y1 = records[2]["bbox"]
    with pdf.open_pdf(shared_file("pdfs", "1111.2011v2_murray_delmaestro_prb_2col.pdf")) as doc:
        inside = doc[6].get_text("text", clip=pymupdf.Rect(x0, y0, x1, y1))
    assert "0.1250" in inside and "3.0" in inside


@pytest.mark.corpus
def test_a_composite_of_many_images_is_one_figure():
    found = found_in("avatar_hifiavatar_ieee_tmm_draft_anonymized.pdf")
    qualitative = next(f for f in found if f.label == "Figure 3")
    assert qualitative.parts > 50 and len(found) == 4


@pytest.mark.corpus
def test_tables_equations_and_page_decorations_are_not_figures():
    for path in shared_pdfs() or pytest.skip("../shared/samples is absent"):
        with pdf.open_pdf(path) as doc:
            for figure in figures.find_all(doc):
                page = doc[figure.page - 1]
                for block in page.get_text("blocks"):
                    if figures.TABLE_CAPTION_RE.match(block[4]):
                        assert not figure.rect.intersects(pymupdf.Rect(block[:4])), (path.name, figure.label)
    assert found_in("scanned_lisp2_gc_imageonly_no_text.pdf") == []


def synthetic_pdf(captions):
    """A page with a logo (no caption), an equation's fraction bar, and one drawn figure per caption."""
    doc = pymupdf.open()
    page = doc.new_page()
    logo = Image.new("RGB", (200, 200), "navy")
    buffer = io.BytesIO()
    logo.save(buffer, "PNG")
    page.insert_image(pymupdf.Rect(480, 20, 520, 60), stream=buffer.getvalue())
    page.draw_line((350, 40), (430, 40))  # a fraction bar
    page.insert_text((350, 35), "a + b")
    page.insert_text((350, 52), "c")
    y = 72  # whole inches, so equal figures render to equal pixels at 150 dpi
    for caption in captions:
        page.draw_rect(pymupdf.Rect(72, y, 300, y + 120), color=(0, 0, 1), fill=(0.8, 0.9, 1))
        page.draw_circle((186, y + 60), 40, color=(1, 0, 0))
        page.insert_text((72, y + 140), caption, fontsize=9)
        y += 288
    return doc


def test_what_no_caption_names_is_left_out_and_each_caption_gets_its_figure():
    assert figures.find_all(synthetic_pdf([])) == []
    found = figures.find_all(synthetic_pdf(["Figure 1: A drawn chart.", "Fig. 2. Another one."]))
    assert [(f.label, f.caption) for f in found] == [("Figure 1", "Figure 1: A drawn chart."),
                                                     ("Figure 2", "Fig. 2. Another one.")]
    assert found[0].rect.y1 <= 240 and found[1].rect.y0 >= 290, "each figure stops at the caption above"
    assert figures.find_all(synthetic_pdf(["Figure 1 shows a chart drawn above."])) == [], "running text"


def test_the_same_picture_is_stored_once(tmp_path):
    """A figure repeated on a later page (an appendix copy) is one picture, written once."""
    doc = synthetic_pdf(["Figure 1: A chart."])
    doc.insert_pdf(synthetic_pdf(["Figure 2: The same chart, again."]))
    records = figures.extract_figures(doc, tmp_path, "figures", figures.find_all(doc))
    assert len(records) == 1 and records[0]["kept"] and records[0]["label"] == "Figure 1"
    again = figures.extract_figures(doc, tmp_path, "figures", figures.find_all(doc))
    assert again[0]["image"] == records[0]["image"]
    assert len(list(tmp_path.rglob("*.webp"))) == 2  # the figure and its thumbnail, written once


@pytest.mark.corpus
def test_the_extract_figures_command_lists_what_it_finds(tmp_path, capsys):
    call_command("extract_figures", str(shared_file("pdfs", "2303.07610v1_cjk_2col_belle.pdf")), "--json",
                 "--out", str(tmp_path))
    rows = json.loads(capsys.readouterr().out)
    assert [(r["kind"], r["page"], r["label"]) for r in rows] == [
        ("figure", 2, "Figure 1"), ("figure", 4, "Figure 2"), ("figure", 4, "Figure 3")]
    assert rows[0]["caption"] == "Figure 1. The illustration of our evaluation process." and rows[0]["lead"]
    x0, y0, x1, y1 = rows[0]["bbox"]
    assert x1 - x0 > 300, "a figure across both columns"
    assert Image.open(rows[0]["image"]).size == (rows[0]["width"], rows[0]["height"])
    assert Image.open(rows[0]["fallback"]).format == "PNG"


def test_control_characters_in_a_caption_are_dropped():
    """A mutated PDF once gave a caption with NUL, which PostgreSQL refuses: the paper then never left "downloaded"."""
    found = figures.find_all(synthetic_pdf(["Figure 1: A\x00chart\x07."]))
    assert [f.caption for f in found] == ["Figure 1: Achart."]
