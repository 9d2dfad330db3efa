"""One paper through every step, on every real sample PDF, with kills, retries and failures."""

from datetime import timedelta

import pymupdf
import pytest
from django.utils import timezone
from PIL import Image

from papers import lifecycle, pipeline
from papers.models import Generation, Paper, Section

from .conftest import SHARED, TRUTH_TEXT_PDFS, corpus_cases
from .factories import SAMPLES, sample_pdf
from .summarizers import CountingSummarizer

Stage = Paper.Stage
# The project's own sample paper, for tests whose point is the pipeline, not the real corpus.
SAMPLE = sample_pdf(1)


def make_paper(topic, fake_arxiv, pdf, arxiv_id="2401.00001", abstract=None):
    """A fetched paper whose PDF (a path) the fake arXiv serves."""
    path = f"/pdf/{arxiv_id}v1"
    fake_arxiv.pdfs[path] = pdf.read_bytes()
    paper = Paper.objects.create(
        arxiv_id=arxiv_id, version=1, title=f"Paper from {pdf.name}", authors=["A. Author"],
        abstract=abstract or (
            "We present a method for animating portraits from audio. The method keeps a memory of past "
            "motion. Experiments show that it improves naturalness over strong baselines."
        ),
        abs_url=f"https://arxiv.org/abs/{arxiv_id}v1", pdf_url=fake_arxiv.url + path,
    )
    paper.topics.add(topic)
    return paper


def done_steps(paper):
    return list(paper.events.filter(outcome="done").values_list("step", flat=True))


@pytest.mark.parametrize("pdf", corpus_cases(core=[sample_pdf(1), sample_pdf(4), SAMPLES / "two_column.pdf"],
                                             shared=[SHARED / "pdfs" / name for name in TRUTH_TEXT_PDFS]))
def test_a_text_pdf_becomes_four_draft_sections_in_review(topic, fake_arxiv, pdf):
    paper = make_paper(topic, fake_arxiv, pdf)
    assert pipeline.process_paper(paper.pk) == Stage.DRAFTED
    paper.refresh_from_db()
    assert done_steps(paper) == ["download", "extract", "summarize", "review"]
    sections = {s.kind: s for s in paper.sections.all()}
    assert list(sections) == ["summary", "key_takeaways", "method", "conclusion"]
    for section in sections.values():
        assert section.status == Section.Status.DRAFT
        assert section.body == section.generated and section.generated.strip()
    assert "Extractive" in sections["method"].generated
    with pymupdf.open(pdf) as doc:
        assert paper.flags == [] and paper.page_count == doc.page_count
    assert paper.downloaded_at and paper.extracted_at and paper.summarized_at and paper.review_at


@pytest.mark.parametrize("pdf, code", corpus_cases(
    core=[(SAMPLES / "scanned.pdf", "no_text"), (SAMPLES / "garbled.pdf", "garbled_text")],
    shared=[(SHARED / "pdfs" / "scanned_lisp2_gc_imageonly_no_text.pdf", "no_text"),
            (SHARED / "pdfs" / "broken_xref_zlib_garbled_text_inhomogeneous_ts.pdf", "garbled_text")],
))
def test_unreadable_pdfs_are_flagged_and_summarized_from_the_abstract(topic, fake_arxiv, pdf, code):
    paper = make_paper(topic, fake_arxiv, pdf)
    assert pipeline.process_paper(paper.pk) == Stage.DRAFTED
    paper.refresh_from_db()
    assert [f["code"] for f in paper.flags] == [code]
    assert paper.flag_score >= 3
    method = paper.sections.get(kind="method")
    assert method.sources == ["abstract"]
    assert "no readable text" in method.generated
    # Only sentences of the abstract, nothing from the junk text.
    for sentence in ("keeps a memory of past motion", "improves naturalness"):
        assert sentence in " ".join(paper.sections.values_list("generated", flat=True))


@pytest.mark.parametrize("pdf, places, second_caption", corpus_cases(
    core=[(sample_pdf(1), [("Figure 1", 2), ("Figure 2", 3)], "Figure 2: Frechet video distance")],
    shared=[(SHARED / "pdfs" / "avatar_hifiavatar_ieee_tmm_draft_anonymized.pdf",
             [("Figure 1", 2), ("Figure 2", 4), ("Figure 3", 5), ("Figure 4", 8)], "Fig. 2. Overview of HiFiAvatar")],
))
def test_figures_come_with_captions_webp_png_and_thumbnails_and_only_the_lead_is_preselected(
    topic, fake_arxiv, settings, pdf, places, second_caption
):
    paper = make_paper(topic, fake_arxiv, pdf)
    pipeline.process_paper(paper.pk)
    figures = list(paper.figures.all())
    assert [(f.label, f.page) for f in figures] == places
    assert figures[1].caption.startswith(second_caption)
    assert [f.kept for f in figures] == [True] + [False] * (len(places) - 1), "the teaser is pre-selected"
    for figure in figures:
        webp, png = Image.open(settings.MEDIA_ROOT / figure.image), Image.open(settings.MEDIA_ROOT / figure.fallback)
        assert (webp.format, png.format) == ("WEBP", "PNG")
        assert webp.size == png.size == (figure.width, figure.height)
        assert max(webp.size) <= 2000 and figure.image.startswith(f"figures/{figure.sha256[:2]}/{figure.sha256}")
        thumb = Image.open(settings.MEDIA_ROOT / figure.thumbnail)
        assert thumb.format == "WEBP" and thumb.width <= settings.FIGURE_THUMBNAIL_WIDTH


def test_a_killed_worker_resumes_at_its_step_and_repeats_nothing(topic, fake_arxiv, settings):
    settings.SUMMARIZER = "tests.summarizers.CountingSummarizer"
    CountingSummarizer.calls.clear()
    paper = make_paper(topic, fake_arxiv, SAMPLE)
    # A worker downloads and extracts, calls the summarizer, then is killed before
    # it records the step: its claim is left behind and the state is "extracted".
    assert lifecycle.claim(paper) and pipeline.run_step(Paper.objects.get(pk=paper.pk))
    paper.refresh_from_db()
    assert lifecycle.claim(paper) and pipeline.run_step(Paper.objects.get(pk=paper.pk))
    paper.refresh_from_db()
    assert lifecycle.claim(paper)
    pipeline.summarize(paper)
    assert len(CountingSummarizer.calls) == 1
    # While the claim is live, a second task for the paper does nothing.
    assert pipeline.process_paper(paper.pk) == Stage.EXTRACTED
    # The claim lapses (Q_TIMEOUT); django-q2's retry of the task takes over.
    Paper.objects.filter(pk=paper.pk).update(claimed_until=timezone.now() - timedelta(seconds=1))
    assert pipeline.process_paper(paper.pk) == Stage.DRAFTED
    assert len(CountingSummarizer.calls) == 1, "the paid call must not be repeated"
    assert done_steps(paper) == ["download", "extract", "summarize", "review"]
    assert Generation.objects.filter(paper=paper).count() == 1
    assert paper.sections.count() == 4
    requests = [r for r in fake_arxiv.requests if r.startswith("/pdf/")]
    assert len(requests) == 1, "the PDF is downloaded once"


def test_two_workers_cannot_claim_one_paper(topic, fake_arxiv):
    paper = make_paper(topic, fake_arxiv, SAMPLE)
    assert lifecycle.claim(paper) is True
    assert lifecycle.claim(paper) is False


def test_a_finished_paper_is_left_alone(topic, fake_arxiv):
    paper = make_paper(topic, fake_arxiv, SAMPLE)
    pipeline.process_paper(paper.pk)
    before = paper.events.count()
    assert pipeline.process_paper(paper.pk) == Stage.DRAFTED
    assert paper.events.count() == before


def test_an_llm_outage_is_retried_then_fails_with_step_and_attempts(topic, fake_arxiv, settings):
    settings.SUMMARIZER = "tests.summarizers.FailingSummarizer"
    settings.PAPER_MAX_ATTEMPTS = 2
    paper = make_paper(topic, fake_arxiv, SAMPLE)
    assert pipeline.process_paper(paper.pk) == Stage.EXTRACTED
    paper.refresh_from_db()
    assert (paper.attempts, paper.failed_step) == (1, "summarize")
    assert "503" in paper.error
    assert paper.claimed_until > timezone.now(), "waits before the next attempt"
    assert list(lifecycle.resumable()) == []
    Paper.objects.filter(pk=paper.pk).update(claimed_until=timezone.now())
    assert list(lifecycle.resumable()) == [paper]
    assert pipeline.process_paper(paper.pk) == Stage.FAILED
    paper.refresh_from_db()
    assert (paper.stage, paper.failed_step, paper.attempts) == (Stage.FAILED, "summarize", 2)
    assert paper.events.filter(outcome="retry").count() == 1
    # Nothing was lost: the extraction is still there for the next try.
    assert paper.extraction["sections"]


def test_an_llm_refusal_fails_at_once_with_its_reason(topic, fake_arxiv, settings):
    settings.SUMMARIZER = "tests.summarizers.RefusingSummarizer"
    paper = make_paper(topic, fake_arxiv, SAMPLE)
    assert pipeline.process_paper(paper.pk) == Stage.FAILED
    paper.refresh_from_db()
    assert paper.failed_step == "summarize" and "SAFETY" in paper.error


def test_a_failed_paper_can_be_retried_at_its_step(topic, fake_arxiv, settings, django_capture_on_commit_callbacks):
    settings.SUMMARIZER = "tests.summarizers.RefusingSummarizer"
    paper = make_paper(topic, fake_arxiv, SAMPLE)
    pipeline.process_paper(paper.pk)
    settings.SUMMARIZER = "extractive"
    paper.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        assert lifecycle.retry(paper)
    paper.refresh_from_db()
    assert (paper.stage, paper.attempts) == (Stage.EXTRACTED, 0)
    assert pipeline.process_paper(paper.pk) == Stage.DRAFTED


@pytest.mark.parametrize("content, status, message, state", [
    (b"<html>Too many requests</html>", 200, "did not send a PDF", Stage.FAILED),
    (b"missing", 404, "arXiv answered 404", Stage.FAILED),
])
def test_a_bad_download_fails_with_a_message(topic, fake_arxiv, content, status, message, state):
    paper = make_paper(topic, fake_arxiv, SAMPLE)
    if status == 200:
        fake_arxiv.pdfs["/pdf/2401.00001v1"] = content
    else:
        del fake_arxiv.pdfs["/pdf/2401.00001v1"]
    assert pipeline.process_paper(paper.pk) == state
    paper.refresh_from_db()
    assert paper.failed_step == "download" and message in paper.error
    assert not list((pipeline.settings.MEDIA_ROOT / "papers").rglob("*.pdf"))


def test_an_oversized_download_is_stopped(topic, fake_arxiv, settings):
    settings.PDF_MAX_BYTES = 50_000
    paper = make_paper(topic, fake_arxiv, SAMPLE)
    assert pipeline.process_paper(paper.pk) == Stage.FAILED
    paper.refresh_from_db()
    assert "over the" in paper.error and "download stopped" in paper.error


def test_an_unreachable_pdf_host_is_retried_not_failed(topic, fake_arxiv):
    paper = make_paper(topic, fake_arxiv, SAMPLE)
    Paper.objects.filter(pk=paper.pk).update(pdf_url="http://127.0.0.1:9/pdf/nothing-listens-here")
    assert pipeline.process_paper(paper.pk) == Stage.FETCHED
    paper.refresh_from_db()
    assert paper.attempts == 1 and "downloading" in paper.error


def test_an_encrypted_pdf_fails_at_extraction(topic, fake_arxiv, tmp_path):
    paper = make_paper(topic, fake_arxiv, SAMPLE)
    with pymupdf.open(sample_pdf(1)) as doc:
        fake_arxiv.pdfs["/pdf/2401.00001v1"] = doc.tobytes(encryption=pymupdf.PDF_ENCRYPT_AES_256,
                                                           user_pw="secret", owner_pw="o")
    assert pipeline.process_paper(paper.pk) == Stage.FAILED
    paper.refresh_from_db()
    assert paper.failed_step == "extract" and "encrypted" in paper.error
