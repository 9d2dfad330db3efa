"""Papers in review made by the real pipeline from the project's own sample PDFs, and users in each role."""

import pytest

from papers import pipeline
from papers.models import Paper

from .factories import CC_BY, SAMPLES, sample_pdf, user_in

# The kinds of PDF the review tests need: a paper with text and figures (one of the six samples, by n)
# and a scan with no text layer.
SCANNED = "scanned"


def make_reviewed_paper(topic, fake_arxiv, n=1, pdf="text", license=CC_BY):
    """Paper n, fetched from the local fake arXiv and taken by the real pipeline to review."""
    arxiv_id = f"2401.{n:05d}"
    path = f"/pdf/{arxiv_id}v1"
    fake_arxiv.pdfs[path] = (SAMPLES / "scanned.pdf" if pdf == SCANNED else sample_pdf(n)).read_bytes()
    paper = Paper.objects.create(
        arxiv_id=arxiv_id, title=f"Head avatars {n}", authors=["Ada Lovelace", "Alan Turing"],
        abstract="We reconstruct head avatars from monocular video with a visual prior. It improves fidelity.",
        abs_url=f"https://arxiv.org/abs/{arxiv_id}v1", pdf_url=fake_arxiv.url + path,
        categories=["cs.CV", "cs.GR"], primary_category="cs.CV", license=license,
    )
    paper.topics.add(topic)
    assert pipeline.process_paper(paper.pk) == Paper.Stage.DRAFTED
    paper.refresh_from_db()
    return paper


@pytest.fixture
def reviewed_paper(topic, fake_arxiv):
    return make_reviewed_paper(topic, fake_arxiv)


@pytest.fixture
def editor(django_user_model):
    return user_in(django_user_model, "editor", "Editor")


@pytest.fixture
def publisher(django_user_model):
    return user_in(django_user_model, "publisher", "Publisher")
