"""What readers see of a published paper is what a publisher published: an edit in the admin's
change form, an editor's choice of figures and a new arXiv version all wait for the next publication."""

from django.test import TestCase

from papers import lifecycle, pipeline
from papers.ingest import fetching
from papers.ingest.arxiv_source import PaperRecord
from papers.models import Figure, Paper

from .factories import CC_BY, SAMPLE_RECORDS, place_pdf, publish, published_paper, user_in, what_readers_get


def change_form_data(client, paper):
    """The admin's change form for the paper as a browser would send it back, unchanged."""
    response = client.get(f"/admin/papers/paper/{paper.pk}/change/")
    assert response.status_code == 200
    data = {}
    form = response.context["adminform"].form
    for name in form.fields:
        value = form[name].value()
        if value is not None:
            data[name] = value
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for name in formset.management_form.fields:
            data[f"{formset.prefix}-{name}"] = formset.management_form[name].value()
        for row in formset.forms:
            for name in row.fields:
                value = row[name].value()
                if value is not None:
                    data[row.add_prefix(name)] = value
    return data


def in_any(pages, text):
    return [url for url, html in pages.items() if text in html]


def with_titles(pages, topic):
    """Every surface that names papers (the topic's page lists its days only)."""
    return set(pages) - {f"/t/{topic.slug}/"}


def test_an_admin_edit_of_a_published_papers_title_and_links_waits_for_a_publisher(
        client, topic, publisher, django_user_model):
    paper = published_paper(topic, publisher)
    admin = user_in(django_user_model, "root", superuser=True)
    client.force_login(admin)
    data = change_form_data(client, paper)
    data.update(title="Edited title nobody approved", project_url="https://evil.example/")
    response = client.post(f"/admin/papers/paper/{paper.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:2000]

    paper.refresh_from_db()
    assert paper.title == "Edited title nobody approved", "the edit is kept for review, not lost"
    assert paper.status == Paper.Status.CHANGED
    pages = what_readers_get(paper, topic, searches=["nobody"])
    assert in_any(pages, "nobody approved") == [] and in_any(pages, "evil.example") == []
    assert set(in_any(pages, SAMPLE_RECORDS[0].title.split(":")[0])) == with_titles(pages, topic) - {"/search/?q=nobody"}

    review_page = client.get(f"/admin/papers/paper/{paper.pk}/review/").content.decode()
    assert "Waiting for the next publication" in review_page and "evil.example" in review_page

    publish(paper, publisher)
    pages = what_readers_get(paper, topic, searches=["nobody"])
    assert set(in_any(pages, "nobody approved")) == with_titles(pages, topic), "then every surface, search included"
    assert paper.get_absolute_url() in in_any(pages, "https://evil.example/")


def figure_images(pages, figures):
    return {f.label: [url for url, html in pages.items() if f.image in html] for f in figures}


def test_an_editors_choice_of_figures_waits_for_a_publisher(client, topic, publisher, editor):
    paper = published_paper(topic, publisher)
    lead, other = paper.figures.order_by("order")
    assert (lead.public, other.public) == (True, False)
    client.force_login(editor)
    response = client.post(f"/admin/papers/paper/{paper.pk}/review/",
                           {"action": "figures", "figures_shown": "1", "kept": [other.pk], f"order_{lead.pk}": 2,
                            f"order_{other.pk}": 1})
    assert response.status_code == 302

    pages = what_readers_get(paper, topic)
    page = paper.get_absolute_url()
    assert page in figure_images(pages, [lead])[lead.label]
    assert figure_images(pages, [other])[other.label] == []
    assert list(Figure.objects.public().filter(paper=paper)) == [lead]

    publish(Paper.objects.get(pk=paper.pk), publisher)
    pages = what_readers_get(paper, topic)
    assert page in figure_images(pages, [other])[other.label]
    assert figure_images(pages, [lead])[lead.label] == []


def test_a_new_arxiv_version_with_its_own_title_and_figures_waits_for_a_publisher(topic, publisher):
    paper = published_paper(topic, publisher)
    v1_figures = list(paper.figures.filter(public=True))
    v2 = PaperRecord.from_json({**SAMPLE_RECORDS[1].as_json(), "arxiv_id": paper.arxiv_id,
                                "version": 2, "title": "Second version with a new title", "license": CC_BY,
                                "abs_url": f"https://arxiv.org/abs/{paper.arxiv_id}v2",
                                "pdf_url": f"https://arxiv.org/pdf/{paper.arxiv_id}v2"})
    place_pdf(paper.arxiv_id, 2, 2)  # another sample's PDF: other figures
    fetching.upsert_papers(topic, [v2])
    paper.refresh_from_db()
    assert paper.new_version["version"] == 2 and paper.version == 1
    with TestCase.captureOnCommitCallbacks(execute=False):
        lifecycle.take_new_version(paper, publisher)
    assert pipeline.process_paper(paper.pk) == Paper.Stage.DRAFTED
    paper.refresh_from_db()
    assert (paper.version, paper.title) == (2, "Second version with a new title")
    v2_lead = paper.figures.get(paper_version=2, kept=True)

    pages = what_readers_get(paper, topic, searches=["Second"])
    assert in_any(pages, "Second version") == [] and in_any(pages, f"{paper.arxiv_id}v2") == []
    assert figure_images(pages, [v2_lead])[v2_lead.label] == []
    assert paper.get_absolute_url() in figure_images(pages, v1_figures)[v1_figures[0].label]
    assert paper.license == CC_BY

    publish(paper, publisher)
    pages = what_readers_get(paper, topic, searches=["Second"])
    assert set(in_any(pages, "Second version")) == with_titles(pages, topic)
    assert paper.get_absolute_url() in in_any(pages, f"{paper.arxiv_id}v2")
    assert paper.get_absolute_url() in figure_images(pages, [v2_lead])[v2_lead.label]
    assert figure_images(pages, v1_figures)[v1_figures[0].label] == []
