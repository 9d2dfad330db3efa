"""Files under MEDIA_ROOT reach readers only when public: a PDF never, a figure only while its paper is
published with it; staff who review get everything (the evidence beside the text)."""

from django.test import TestCase

from papers import lifecycle, pipeline
from papers.models import Figure

from .factories import paper_in_review, published_paper, user_in


def media_url(path):
    return f"/media/{path}"


def test_a_draft_pdf_and_its_figures_are_not_served_to_readers(client, topic, django_user_model):
    paper = paper_in_review(topic)
    pdf = media_url(pipeline.pdf_relpath(paper.arxiv_id, paper.version))
    figure = paper.figures.first()
    urls = [pdf] + [media_url(name) for name in (figure.image, figure.fallback, figure.thumbnail)]
    assert [client.get(url).status_code for url in urls] == [404] * 4
    staff_pdf = f"/admin/papers/paper/{paper.pk}/pdf/"
    assert client.get(staff_pdf)["Location"].startswith("/admin/login/")

    client.force_login(user_in(django_user_model, "editor", "Editor"))
    assert [client.get(url).status_code for url in urls] == [200] * 4
    response = client.get(staff_pdf)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert client.get(urls[1])["Cache-Control"] == "private, no-store"


def test_a_published_papers_kept_figure_is_public_until_it_is_unpublished(client, topic, django_user_model):
    publisher = user_in(django_user_model, "publisher", "Publisher")
    paper = published_paper(topic, publisher)
    shown, hidden = paper.figures.get(kept=True), paper.figures.get(kept=False)
    assert list(Figure.objects.public()) == [shown]
    assert client.get(media_url(shown.image)).status_code == 200
    assert client.get(media_url(shown.image))["Cache-Control"] == "public, max-age=86400"
    assert client.get(media_url(hidden.image)).status_code == 404
    assert client.get(media_url(pipeline.pdf_relpath(paper.arxiv_id, paper.version))).status_code == 404
    with TestCase.captureOnCommitCallbacks(execute=True):
        lifecycle.unpublish(paper, publisher)
    assert client.get(media_url(shown.image)).status_code == 404, "a figure URL once public does not stay valid"


def test_paths_outside_the_media_folder_are_refused(client, topic, django_user_model):
    client.force_login(user_in(django_user_model, "editor", "Editor"))
    for path in ("../digest/settings.py", "/etc/passwd", "figures/../../etc/passwd", "nothing/here.webp"):
        assert client.get(media_url(path)).status_code == 404, path
