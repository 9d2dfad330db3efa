"""The minimal admin the demo needs: lists with filters, a paper page, retry and publish."""

import pytest

from papers import pipeline
from papers.models import Paper

from .factories import SAMPLES


@pytest.fixture
def editor_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("ed", "ed@example.org", "pw"))
    return client


@pytest.fixture
def paper(topic, fake_arxiv):
    fake_arxiv.pdfs["/pdf/2401.00001v1"] = (SAMPLES / "scanned.pdf").read_bytes()
    paper = Paper.objects.create(
        arxiv_id="2401.00001", title="A scanned paper", authors=["A. Author"],
        abstract="We describe a garbage collector. It compacts memory in two passes over the heap.",
        abs_url="https://arxiv.org/abs/2401.00001v1", pdf_url=fake_arxiv.url + "/pdf/2401.00001v1",
    )
    paper.topics.add(topic)
    pipeline.process_paper(paper.pk)
    return paper


@pytest.mark.parametrize("query", ["?review=queue", "?review=all", "?stage__exact=drafted", "?status__exact=unpublished", "?flag=no_text", "?flag=any", "?q=scanned"])
def test_the_paper_list_filters(editor_client, paper, query):
    page = editor_client.get(f"/admin/papers/paper/{query}")
    assert page.status_code == 200
    assert "2401.00001" in page.content.decode()


def test_the_flag_filter_leaves_out_clean_papers(editor_client, paper):
    assert "2401.00001" not in editor_client.get("/admin/papers/paper/?flag=garbled_text").content.decode()


def test_the_paper_page_shows_sections_flags_and_history(editor_client, paper):
    page = editor_client.get(f"/admin/papers/paper/{paper.pk}/change/").content.decode()
    assert "no_text" in page and "Key takeaways" in page and "summarize" in page


def test_retry_and_publish_actions(editor_client, paper):
    Paper.objects.filter(pk=paper.pk).update(stage=Paper.Stage.FAILED, failed_step="review")
    response = editor_client.post("/admin/papers/paper/", {"action": "retry", "_selected_action": [paper.pk]},
                                  follow=True)
    assert "1 paper(s) queued again." in response.content.decode()
    assert pipeline.process_paper(paper.pk) == Paper.Stage.DRAFTED
    editor_client.post("/admin/papers/paper/", {"action": "approve_all", "_selected_action": [paper.pk]})
    response = editor_client.post("/admin/papers/paper/", {"action": "publish", "_selected_action": [paper.pk]},
                                  follow=True)
    assert "1 paper(s) published." in response.content.decode()
    assert Paper.objects.published().get() == paper


def test_fetch_runs_and_topics_list(editor_client, topic):
    assert editor_client.get("/admin/papers/fetchrun/").status_code == 200
    assert editor_client.get("/admin/papers/topic/").status_code == 200


def test_anonymous_users_are_sent_to_login(client, db):
    response = client.get("/admin/papers/paper/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
