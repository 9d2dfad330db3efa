"""Figures found from their captions, raster and vector, measured against a hand count."""

import io
import json

import pymupdf
import pytest
from django.core.management import call_command
from PIL import Image, ImageStat

from papers.ingest import figures, pdf
from papers.measurement import figure_measure

from .conftest import DATA, SHARED, corpus_cases, shared_file, shared_pdfs
from .factories import SAMPLES, sample_pdf

TRUTH = DATA / "figures.json"
SAMPLE_TRUTH = DATA / "sample_figures.json"
VECTOR_ONLY = "1111.2011v2_murray_delmaestro_prb_2col.pdf"


def found_in(path):
    with pdf.open_pdf(path) as doc:
        return figures.find_all(doc)


@pytest.mark.corpus
def test_the_figure_truth_covers_every_sample_pdf():
    names = {p.name for p in shared_pdfs()} or pytest.skip("../shared/samples is absent")
    truth = json.loads(TRUTH.read_text())
    assert names == {n for n in truth if not n.startswith("_")} | set(truth["_excluded"])


@pytest.mark.parametrize("folder, truth, vector_file", corpus_cases(
    core=[(SAMPLES, SAMPLE_TRUTH, "pdfs/2699.00001v1.pdf")],
    shared=[(SHARED / "pdfs", TRUTH, VECTOR_ONLY)],
))
def test_recall_and_precision_of_figures_and_captions_meet_the_targets(folder, truth, vector_file):
    rows = figure_measure.measure(folder, truth)
    overall = figure_measure.scores(rows)
    vector_file = figure_measure.scores([r for r in rows if r["file"] == vector_file])
    for scores in (overall, vector_file):
        assert scores["figure_recall"] >= 0.9 and scores["figure_precision"] >= 0.9, scores
        assert scores["caption_recall"] >= 0.9 and scores["caption_precision"] >= 0.9, scores


@pytest.mark.parametrize("folder, truth, share", corpus_cases(
    # The samples are drawn by samples/build.py, every hard case on purpose: each figure must come out whole.
    core=[(SAMPLES, SAMPLE_TRUTH, 1.0)],
    shared=[(SHARED / "pdfs", TRUTH, 0.95)],
))
def test_regions_match_the_hand_drawn_boxes(folder, truth, share):
    rows = figure_measure.measure(folder, truth)
    ious = {(r["file"], place): value for r in rows for place, value in r["ious"].items()}
    poor = {where: round(value, 2) for where, value in ious.items() if value < figure_measure.GOOD_IOU}
    assert len(poor) <= (1 - share) * len(ious), poor


def test_a_region_cut_in_half_scores_as_half(tmp_path):
    """The measure is of regions, not counts: a box twice as wide as the figure found halves its IoU."""
    name = "pdfs/2699.00001v1.pdf"
    truth = {name: json.loads(SAMPLE_TRUTH.read_text())[name]}
    x0, y0, x1, y1 = truth[name]["figures"][0]["box"]
    truth[name]["figures"][0]["box"] = [x0, y0, x1 + (x1 - x0), y1]
    (tmp_path / "truth.json").write_text(json.dumps(truth))
    [row] = figure_measure.measure(SAMPLES, tmp_path / "truth.json")
    assert row["ious"]["Figure 1 (p. 2)"] == pytest.approx(0.5, abs=0.02)
    assert row["ious"]["Figure 2 (p. 3)"] >= figure_measure.GOOD_IOU


def test_appendix_and_supplement_numbers_are_figures():
    found = found_in(SAMPLES / "appendix.pdf")
    assert [(f.page, f.label) for f in found] == [(1, "Figure B.1"), (1, "Figure 2a"), (2, "Figure S3"),
                                                   (3, "Figure A1")]
    assert [f.label for f in figures.find_all(synthetic_pdf(["Fig. 2a shows the loss.", "Figure S3 is a clip."]))] \
        == [], "running text that names an appendix figure is not its caption"


@pytest.mark.parametrize("text, caption", [("Figure B.1: Panels.", True), ("Fig. 2a. Loss.", True),
                                           ("Figure S3: A clip.", True), ("Figure displays: the loss", False),
                                           ("Figure 3 shows the loss.", False)])
def test_which_lines_open_a_caption(text, caption):
    assert bool(figures.CAPTION_RE.match(text)) == caption


@pytest.mark.parametrize("text", ["Table lists the results.", "Table gives the numbers.", "Tables in appendix A"])
def test_running_text_about_tables_is_no_table_caption(text):
    assert figures.TABLE_CAPTION_RE.match(text) is None and figures.ANY_CAPTION_RE.match(text) is None


def test_two_panels_under_a_short_caption_are_one_figure_with_their_shared_legend():
    with pdf.open_pdf(SAMPLES / "appendix.pdf") as doc:
        composite = next(f for f in figures.find_all(doc) if f.label == "Figure B.1")
        inside = doc[0].get_text("text", clip=composite.rect)
    # The caption sits at the left under the left panel; the right panel and the legend above both belong to it.
    assert composite.rect.x0 < 100 and composite.rect.x1 > 500, composite.bbox
    assert all(word in inside for word in ("Ours", "Baseline B", "118", "8.4")), inside


def test_a_picture_that_runs_past_the_page_is_clipped_to_it():
    with pdf.open_pdf(SAMPLES / "appendix.pdf") as doc:
        strip = next(f for f in figures.find_all(doc) if f.label == "Figure S3")
        page = doc[strip.page - 1].rect
    assert page.contains(strip.rect) and strip.rect.x0 == 0 and strip.rect.x1 >= page.x1 - 1


@pytest.mark.parametrize("path, label", [(sample_pdf(2), "Figure 1"), (sample_pdf(5), "Figure 2"),
                                         (SAMPLES / "appendix.pdf", "Figure A1")])
def test_a_short_caption_at_the_left_keeps_a_figure_as_wide_as_the_page(path, label):
    """GaussHead's picture and StyleTalk-Zero's chart were cut at the caption's column: half a picture, no "Ours"."""
    figure = next(f for f in found_in(path) if f.label == label)
    assert figure.rect.x0 < 130 and figure.rect.x1 > 470, figure.bbox


def test_white_margins_are_not_part_of_the_figure():
    """A figure embedded with white space around it is cut to what is drawn."""
    doc = pymupdf.open()
    page = doc.new_page()
    page.draw_rect(pymupdf.Rect(72, 72, 400, 300), color=None, fill=(1, 1, 1))
    page.draw_rect(pymupdf.Rect(72, 72, 400, 300), color=(1, 1, 1), width=0.5)  # an invisible frame
    page.draw_circle((236, 200), 50, color=(1, 0, 0), fill=(1, 0.8, 0.8))
    page.insert_text((72, 320), "Figure 1: A circle.", fontsize=9)
    [figure] = figures.find_all(doc)
    assert figure.rect.x0 >= 185 and figure.rect.x1 <= 287 and figure.rect.y0 >= 149, figure.bbox


def test_tick_labels_and_axis_titles_are_part_of_a_plot_and_the_page_number_is_not():
    doc = pymupdf.open()
    page = doc.new_page()
    page.insert_text((72, 60), "A paper with a plot", fontsize=10)
    plot = pymupdf.Rect(150, 100, 450, 300)
    page.draw_line(plot.bl, plot.br)
    page.draw_line(plot.bl, plot.tl)
    page.draw_polyline([(150, 290), (300, 200), (450, 110)], color=(0, 0, 1))
    for i, x in enumerate((150, 300, 450)):
        page.insert_text((x - 3, 312), str(i * 50), fontsize=8)  # tick labels: numbers alone
    page.insert_text((120, 205), "P", fontsize=10)  # the axis title, 30 pt off the axis
    page.insert_text((72, 345), "Figure 1: Probability against the step.", fontsize=9)
    page.insert_text((300, 820), "7", fontsize=9)  # the page number
    [figure] = figures.find_all(doc)
    assert figure.rect.x0 <= 121 and figure.rect.y1 >= 312, figure.bbox
    assert figure.rect.y1 < 330, "neither the caption nor the page number"


def test_the_measure_counts_a_miss_and_a_wrong_caption(tmp_path):
    """The score is not a constant: a truth with an extra figure and a changed caption lowers it."""
    name = "pdfs/2699.00001v1.pdf"
    truth = {name: json.loads(SAMPLE_TRUTH.read_text())[name]}
    truth[name]["figures"].append({"page": 3, "label": "Figure 3", "caption": "Figure 3:"})
    truth[name]["figures"][0]["caption"] = "Figure 1: Something else"
    (tmp_path / "truth.json").write_text(json.dumps(truth))
    scores = figure_measure.scores(figure_measure.measure(SAMPLES, tmp_path / "truth.json"))
    assert scores["figure_recall"] == 2 / 3 and scores["figure_precision"] == 1.0
    assert scores["caption_recall"] == 1 / 3 and scores["caption_precision"] == 1 / 2


@pytest.mark.parametrize("path, page, index, labels", corpus_cases(
    # The bar chart's value and method labels lie outside its bars.
    core=[(sample_pdf(1), 3, 1, ["259", "Baseline A", "EchoFace"])],
    # The plot's axis labels lie outside its drawn lines.
    shared=[(SHARED / "pdfs" / VECTOR_ONLY, 7, 2, ["0.1250", "3.0"])],
))
def test_vector_plots_are_rendered_with_their_axis_labels(tmp_path, path, page, index, labels):
    with pdf.open_pdf(path) as doc:
        assert not doc[page - 1].get_image_info(), "no raster image on this page"
        records = figures.extract_figures(doc, tmp_path, "figures", figures.find_all(doc))
        plot = Image.open(tmp_path / records[index]["image"].removeprefix("figures/")).convert("L")
        assert ImageStat.Stat(plot).stddev[0] > 20, "a drawn plot, not a blank rectangle"
        inside = doc[page - 1].get_text("text", clip=pymupdf.Rect(records[index]["bbox"]))
    assert [label for label in labels if label not in inside] == [], "labels belong in the picture"


@pytest.mark.parametrize("path", [SAMPLES / "scanned.pdf", SAMPLES / "garbled.pdf"])
def test_a_scan_or_a_garbled_paper_has_no_figures(path):
    assert found_in(path) == []


@pytest.mark.parametrize("path, label, parts, count", corpus_cases(
    core=[(SAMPLES / "two_column.pdf", "Figure 2", 12, 2)],
    shared=[(SHARED / "pdfs" / "avatar_hifiavatar_ieee_tmm_draft_anonymized.pdf", "Figure 3", 50, 4)],
))
def test_a_composite_of_many_images_is_one_figure(path, label, parts, count):
    found = found_in(path)
    composite = next(f for f in found if f.label == label)
    assert composite.parts >= parts and len(found) == count


@pytest.mark.corpus
def test_tables_equations_and_page_decorations_are_not_figures():
    for path in shared_pdfs() or pytest.skip("../shared/samples is absent"):
        with pdf.open_pdf(path) as doc:
            for figure in figures.find_all(doc):
                page = doc[figure.page - 1]
                for block in page.get_text("blocks"):
                    if figures.TABLE_CAPTION_RE.match(block[4]):
                        assert not figure.rect.intersects(pymupdf.Rect(block[:4])), (path.name, figure.label)
    assert found_in(shared_file("pdfs", "scanned_lisp2_gc_imageonly_no_text.pdf")) == []


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


@pytest.mark.parametrize("path, places, caption", corpus_cases(
    core=[(sample_pdf(1), [(2, "Figure 1"), (3, "Figure 2")], "Figure 1: Frames generated by EchoFace for one "
                                                               "audio clip; the head keeps a slow nod across the clip.")],
    shared=[(SHARED / "pdfs" / "2303.07610v1_cjk_2col_belle.pdf", [(2, "Figure 1"), (4, "Figure 2"), (4, "Figure 3")],
             "Figure 1. The illustration of our evaluation process.")],
))
def test_the_extract_figures_command_lists_what_it_finds(tmp_path, capsys, path, places, caption):
    call_command("extract_figures", str(path), "--json", "--out", str(tmp_path))
    rows = json.loads(capsys.readouterr().out)
    assert [(r["kind"], r["page"], r["label"]) for r in rows] == [("figure", *place) for place in places]
    assert rows[0]["caption"] == caption and rows[0]["lead"]
    x0, y0, x1, y1 = rows[0]["bbox"]
    assert x1 - x0 > 300, "a figure across both columns (or the full width of one)"
    assert Image.open(rows[0]["image"]).size == (rows[0]["width"], rows[0]["height"])
    assert Image.open(rows[0]["fallback"]).format == "PNG"


def test_control_characters_in_a_caption_are_dropped():
    """A mutated PDF once gave a caption with NUL, which PostgreSQL refuses: the paper then never left "downloaded"."""
    found = figures.find_all(synthetic_pdf(["Figure 1: A\x00chart\x07."]))
    assert [f.caption for f in found] == ["Figure 1: Achart."]
