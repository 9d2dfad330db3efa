"""Readers see only what an editor published; everything goes through published()."""

import pytest
from django.test import TestCase

from papers import lifecycle, pipeline
from papers.editorial import review
from papers.models import Paper

from .factories import CC_BY, sample_pdf


def publish(paper, user):
    """Approve every section and publish (running what publishing does on commit); False where it cannot."""
    review.approve_all(paper, user)
    try:
        with TestCase.captureOnCommitCallbacks(execute=True):
            return lifecycle.publish(paper, user)
    except lifecycle.TransitionError:
        return False


@pytest.fixture
def reviewed(topic, fake_arxiv, django_user_model):
    """Two processed papers in review, from the project's sample PDFs."""
    papers = []
    for n in range(2):
        path = f"/pdf/2401.0000{n}v1"
        fake_arxiv.pdfs[path] = sample_pdf(n + 1).read_bytes()
        paper = Paper.objects.create(
            arxiv_id=f"2401.0000{n}", title=f"Head avatars {n}", authors=["A. Author"],
            abstract="We reconstruct head avatars from monocular video with a visual prior. It works well.",
            abs_url=f"https://arxiv.org/abs/2401.0000{n}v1", pdf_url=fake_arxiv.url + path, license=CC_BY,
        )
        paper.topics.add(topic)
        pipeline.process_paper(paper.pk)
        papers.append(paper)
    editor = django_user_model.objects.create_superuser("ed", "ed@example.org", "pw")
    return papers, editor


def test_drafts_are_not_public(client, reviewed):
    papers, _ = reviewed
    assert client.get(papers[0].get_absolute_url()).status_code == 404
    assert "Head avatars" not in client.get("/").content.decode()


def test_a_published_paper_shows_its_approved_sections_and_kept_figures(client, reviewed):
    papers, editor = reviewed
    assert publish(papers[0], editor)
    page = client.get(papers[0].get_absolute_url()).content.decode()
    method = papers[0].sections.get(kind="method").body
    assert "Head avatars 0" in page and "One-line summary" in page
    assert method.splitlines()[0][3:40] in page
    assert page.count("<figure>") == 1, "the lead figure alone until an editor chooses more"
    first = papers[0].figures.get(order=1)
    with TestCase.captureOnCommitCallbacks(execute=True):
        review.set_figures(papers[0], set(papers[0].figures.exclude(pk=first.pk).values_list("pk", flat=True)), {},
                           editor)
    assert client.get(papers[0].get_absolute_url()).content.decode().count("<figure>") == 1, "until published again"
    assert publish(Paper.objects.get(pk=papers[0].pk), editor)
    assert client.get(papers[0].get_absolute_url()).content.decode().count("<figure>") == papers[0].figures.count() - 1
    home = client.get("/").content.decode()
    assert "Head avatars 0" in home and "Head avatars 1" not in home


def test_publishing_needs_a_paper_in_review(reviewed):
    papers, editor = reviewed
    Paper.objects.filter(pk=papers[1].pk).update(stage=Paper.Stage.FAILED)
    assert publish(Paper.objects.get(pk=papers[1].pk), editor) is False


def test_the_footer_links_the_source(client, db):
    page = client.get("/").content.decode()
    assert 'href="/source/"' in page and "AGPL" in page
    assert "Affero" in client.get("/source/").content.decode()
