"""Reading real PDFs: sections by heading, reading order, bad files refused with a reason."""

import pymupdf
import pytest

from papers.ingest import figures, headings, pdf

from .conftest import HEADINGS, SHARED, TRUTH_TEXT_PDFS, corpus_cases, shared_pdfs
from .factories import SAMPLES, sample_pdf

SAMPLE_HEADINGS = ["Abstract", "1 Introduction", "2 Related Work", "3 Method", "4 Experiments", "5 Conclusion",
                   "References"]
TWO_COLUMN = SAMPLES / "two_column.pdf"
TRUTH = {
    **{SHARED / "pdfs" / name: HEADINGS[name] for name in TRUTH_TEXT_PDFS},
    **{sample_pdf(n): SAMPLE_HEADINGS for n in range(1, 7)},
    TWO_COLUMN: ["Abstract", "1 Introduction", "2 Method", "3 Experiments", "4 Conclusion", "References"],
}
SAMPLE_TEXT_PDFS = [sample_pdf(n) for n in range(1, 7)] + [TWO_COLUMN]
SHARED_TEXT_PDFS = [SHARED / "pdfs" / name for name in TRUTH_TEXT_PDFS]


def extract(path):
    with pdf.open_pdf(path) as doc:
        return pdf.extract_text(doc, figures.find_all(doc))


def shared(name):
    return SHARED / "pdfs" / name


def text_of(extraction):
    return " ".join(s["text"] for s in extraction["sections"])


@pytest.mark.corpus
def test_the_truth_file_covers_every_sample_pdf():
    names = {p.name for p in shared_pdfs()} or pytest.skip("../shared/samples is absent")
    assert names == {name for name in HEADINGS if not name.startswith("_")}


@pytest.mark.parametrize("path", corpus_cases(core=SAMPLE_TEXT_PDFS, shared=SHARED_TEXT_PDFS))
def test_every_true_heading_is_found_in_order(path):
    found = extract(path)["headings"]
    truth = TRUTH[path]
    assert headings.score(found, truth) == (len(truth), len(truth)), found
    # No invented headings either: everything found is a true heading.
    assert all(any(headings.matches(f, t) for t in truth) for f in found), found


@pytest.mark.parametrize("path, method, conclusion", corpus_cases(
    core=[(sample_pdf(1), "heading", "heading"), (TWO_COLUMN, "heading", "heading")],
    shared=[
        (shared("2303.07610v1_cjk_2col_belle.pdf"), "heading", "heading"),
        (shared("avatar_hifiavatar_ieee_tmm_draft_anonymized.pdf"), "heading", "heading"),
        (shared("quant-ph_9508027v2_shor_1col_oldstyle_id.pdf"), "position", "heading"),
        (shared("1111.2011v2_murray_delmaestro_prb_2col.pdf"), "position", "heading"),
    ],
))
def test_method_and_conclusion_are_found_by_heading_or_position(path, method, conclusion):
    extraction = extract(path)
    assert pdf.parts_for(extraction, "method")[1] == method
    assert pdf.parts_for(extraction, "conclusion")[1] == conclusion


@pytest.mark.parametrize("path, sentence", corpus_cases(
    core=[(TWO_COLUMN, "Reading a two-column page row by row interleaves the columns, so a sentence that runs down "
                       "the left column is cut into pieces")],
    # This sentence runs down the left column of page 1; read row by row it would be cut.
    shared=[(shared("2303.07610v1_cjk_2col_belle.pdf"),
             "ChatGPT is capable of performing various tasks, including but not limited to article generation")],
))
def test_two_columns_read_column_by_column(path, sentence):
    assert sentence in text_of(extract(path))


@pytest.mark.parametrize("path, absent", corpus_cases(
    core=[(TWO_COLUMN, ["Paper Digest test corpus", "A reference of the sample corpus"]),
          (sample_pdf(1), ["Sample reference list"])],
    shared=[(shared("quant-ph_9508027v2_shor_1col_oldstyle_id.pdf"),
             ["FACTORING WITH A QUANTUM COMPUTER", "arXiv:quant-ph/9508027v2"]),
            (shared("1706.03791v1_ieee_2col_raster_figures.pdf"), ["A simulation of a hurricane from the National"])],
))
def test_references_and_running_heads_are_dropped(path, absent):
    extraction = extract(path)
    text = text_of(extraction)
    assert [phrase for phrase in absent if phrase in text] == []
    assert "references" not in {s["kind"] for s in extraction["sections"]}


@pytest.mark.parametrize("path, code", corpus_cases(
    core=[(SAMPLES / "scanned.pdf", "no_text"), (SAMPLES / "garbled.pdf", "garbled_text")],
    shared=[(shared("scanned_lisp2_gc_imageonly_no_text.pdf"), "no_text"),
            (shared("broken_xref_zlib_garbled_text_inhomogeneous_ts.pdf"), "garbled_text")],
))
def test_a_scanned_or_garbled_pdf_is_flagged_not_summarized(path, code):
    extraction = extract(path)
    assert [f["code"] for f in extraction["flags"]] == [code]
    assert extraction["quality"]["word_share"] < 0.1
    assert extraction["sections"] == []


@pytest.mark.parametrize("path", corpus_cases(core=SAMPLE_TEXT_PDFS, shared=SHARED_TEXT_PDFS))
def test_real_papers_are_not_flagged(path):
    extraction = extract(path)
    assert extraction["flags"] == []
    assert extraction["quality"]["word_share"] > 0.8


def test_an_encrypted_pdf_is_refused(tmp_path):
    with pymupdf.open(TWO_COLUMN) as doc:
        doc.save(tmp_path / "locked.pdf", encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="secret", owner_pw="o")
    with pytest.raises(pdf.PdfError, match="encrypted"):
        pdf.open_pdf(tmp_path / "locked.pdf")


@pytest.mark.parametrize("content, message", [
    (b"", "empty"),
    (b"<!doctype html><html><body>Rate limited</body></html>", "not a readable PDF"),
    (b"%PDF-1.7\n" + b"\x00" * 100, "not a readable PDF"),
])
def test_files_that_are_not_pdfs_are_refused(tmp_path, content, message):
    path = tmp_path / "paper.pdf"
    path.write_bytes(content)
    with pytest.raises(pdf.PdfError, match=message):
        pdf.open_pdf(path)


def test_size_and_page_caps(settings):
    path = sample_pdf(1)
    settings.PDF_MAX_BYTES = 100_000
    with pytest.raises(pdf.PdfError, match="over the 0 MB limit|over the .* MB limit"):
        pdf.open_pdf(path)
    settings.PDF_MAX_BYTES = 10_000_000
    settings.PDF_MAX_PAGES = 2
    with pytest.raises(pdf.PdfError, match="3 pages, over the 2-page limit"):
        pdf.open_pdf(path)


@pytest.mark.parametrize("path, absent, present", corpus_cases(
    core=[(TWO_COLUMN, ["Source Target Output", "© 2026 Paper Digest"], "Reading a two-column page")],
    # "Novel Views …" are words drawn over Fig. 1's picture.
    shared=[(shared("avatar_hifiavatar_ieee_tmm_draft_anonymized.pdf"),
             ["Novel Views Synthesis Cross Reenactment", "© 2026 IEEE"], "HiFiAvatar")],
))
def test_labels_inside_figures_and_copyright_lines_are_not_running_text(path, absent, present):
    text = text_of(extract(path))
    assert [phrase for phrase in absent if phrase in text] == []
    assert present in text


def test_text_over_a_page_sized_picture_is_kept(tmp_path):
    """An OCR'd scan: a full-page image with its text layer on top."""
    doc = pymupdf.open()
    page = doc.new_page()
    with pymupdf.open(SAMPLES / "scanned.pdf") as scan:
        pixmap = scan[0].get_pixmap(dpi=50)
    page.insert_image(page.rect, pixmap=pixmap)
    page.insert_textbox(pymupdf.Rect(72, 72, 520, 760), "A garbage collector compacts the heap in two passes. " * 40)
    doc.save(tmp_path / "ocr.pdf")
    with pdf.open_pdf(tmp_path / "ocr.pdf") as opened:
        lines = pdf.page_lines(opened, figures.find_all(opened))
    assert sum(len(line.text) for line in lines) > 1000
