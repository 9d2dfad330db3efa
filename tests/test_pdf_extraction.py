"""Reading real PDFs: sections by heading, reading order, bad files refused with a reason."""

import pymupdf
import pytest

from papers.ingest import figures, headings, pdf

from .conftest import HEADINGS as TRUTH
from .conftest import TRUTH_TEXT_PDFS as TEXT_PDFS
from .conftest import corpus_cases, shared_file, shared_pdfs


def extract(name):
    with pdf.open_pdf(shared_file("pdfs", name)) as doc:
        return pdf.extract_text(doc, figures.find_all(doc))


@pytest.mark.corpus
def test_the_truth_file_covers_every_sample_pdf():
    names = {p.name for p in shared_pdfs()} or pytest.skip("../shared/samples is absent")
    assert names == {name for name in TRUTH if not name.startswith("_")}


@pytest.mark.corpus
@pytest.mark.parametrize("name", corpus_cases(TEXT_PDFS))
def test_every_true_heading_is_found_in_order(name):
    found = extract(name)["headings"]
    truth = TRUTH[name]
    assert headings.score(found, truth) == (len(truth), len(truth)), found
    # No invented headings either: everything found is a true heading.
    assert all(any(headings.matches(f, t) for t in truth) for f in found), found


@pytest.mark.corpus
@pytest.mark.parametrize("name, method, conclusion", corpus_cases([
    ("2303.07610v1_cjk_2col_belle.pdf", "heading", "heading"),
    ("avatar_hifiavatar_ieee_tmm_draft_anonymized.pdf", "heading", "heading"),
    ("quant-ph_9508027v2_shor_1col_oldstyle_id.pdf", "position", "heading"),
    ("1111.2011v2_murray_delmaestro_prb_2col.pdf", "position", "heading"),
]))
def test_method_and_conclusion_are_found_by_heading_or_position(name, method, conclusion):
    extraction = extract(name)
    assert pdf.parts_for(extraction, "method")[1] == method
    assert pdf.parts_for(extraction, "conclusion")[1] == conclusion


@pytest.mark.corpus
def test_two_columns_read_column_by_column():
    text = " ".join(s["text"] for s in extract("2303.07610v1_cjk_2col_belle.pdf")["sections"])
    # This sentence runs down the left column of page 1; read row by row it would be cut.
    assert "ChatGPT is capable of performing various tasks, including but not limited to article generation" in text


@pytest.mark.corpus
def test_references_and_running_heads_are_dropped():
    shor = extract("quant-ph_9508027v2_shor_1col_oldstyle_id.pdf")
    text = " ".join(s["text"] for s in shor["sections"])
    assert "FACTORING WITH A QUANTUM COMPUTER" not in text
    assert "arXiv:quant-ph/9508027v2" not in text
    assert "references" not in {s["kind"] for s in shor["sections"]}
    ieee = extract("1706.03791v1_ieee_2col_raster_figures.pdf")
    assert "A simulation of a hurricane from the National" not in " ".join(s["text"] for s in ieee["sections"])


@pytest.mark.corpus
def test_a_scanned_pdf_is_flagged_as_having_no_text():
    extraction = extract("scanned_lisp2_gc_imageonly_no_text.pdf")
    assert [f["code"] for f in extraction["flags"]] == ["no_text"]
    assert extraction["sections"] == []


@pytest.mark.corpus
def test_garbled_text_is_detected_not_summarized():
    extraction = extract("broken_xref_zlib_garbled_text_inhomogeneous_ts.pdf")
    assert [f["code"] for f in extraction["flags"]] == ["garbled_text"]
    assert extraction["quality"]["word_share"] < 0.1
    assert extraction["sections"] == []


@pytest.mark.corpus
@pytest.mark.parametrize("name", corpus_cases(TEXT_PDFS))
def test_real_papers_are_not_flagged(name):
    extraction = extract(name)
    assert extraction["flags"] == []
    assert extraction["quality"]["word_share"] > 0.8


@pytest.mark.corpus
def test_an_encrypted_pdf_is_refused(tmp_path):
    with pymupdf.open(shared_file("pdfs", "2303.07610v1_cjk_2col_belle.pdf")) as doc:
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


@pytest.mark.corpus
def test_size_and_page_caps(settings):
    path = shared_file("pdfs", "quant-ph_9508027v2_shor_1col_oldstyle_id.pdf")
    settings.PDF_MAX_BYTES = 100_000
    with pytest.raises(pdf.PdfError, match="over the 0 MB limit|over the .* MB limit"):
        pdf.open_pdf(path)
    settings.PDF_MAX_BYTES = 10_000_000
    settings.PDF_MAX_PAGES = 20
    with pytest.raises(pdf.PdfError, match="28 pages, over the 20-page limit"):
        pdf.open_pdf(path)


@pytest.mark.corpus
def test_labels_inside_figures_and_copyright_lines_are_not_running_text():
    text = " ".join(s["text"] for s in extract("avatar_hifiavatar_ieee_tmm_draft_anonymized.pdf")["sections"])
    assert "Novel Views Synthesis Cross Reenactment" not in text  # words drawn over Fig. 1's picture
    assert "© 2026 IEEE" not in text
    assert "HiFiAvatar" in text


@pytest.mark.corpus
def test_text_over_a_page_sized_picture_is_kept(tmp_path):
    """An OCR'd scan: a full-page image with its text layer on top."""
    doc = pymupdf.open()
    page = doc.new_page()
    with pymupdf.open(shared_file("pdfs", "scanned_lisp2_gc_imageonly_no_text.pdf")) as scan:
        pixmap = scan[0].get_pixmap(dpi=50)
    page.insert_image(page.rect, pixmap=pixmap)
    page.insert_textbox(pymupdf.Rect(72, 72, 520, 760), "A garbage collector compacts the heap in two passes. " * 40)
    doc.save(tmp_path / "ocr.pdf")
    with pdf.open_pdf(tmp_path / "ocr.pdf") as opened:
        lines = pdf.page_lines(opened, figures.find_all(opened))
    assert sum(len(line.text) for line in lines) > 1000
