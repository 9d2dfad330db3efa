"""The review page and queue as an editor sees them over HTTP."""

import pytest

from papers import lifecycle
from papers.editorial import review
from papers.editorial.diffing import diff_html, highlight_flags
from papers.models import Section

from .factories import SCANNED, make_reviewed_paper


def current(paper, kind="method"):
    return Section.objects.get(paper=paper, kind=kind, is_current=True)


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


def test_a_stale_save_shows_both_texts_and_keeps_the_newer(reviewed_paper, editor_client, publisher):
    method = current(reviewed_paper)
    review.edit_section(method.pk, "Publisher's fix, saved first.", method.version, publisher)
    response = editor_client.post(f"/admin/papers/paper/{reviewed_paper.pk}/review/", {
        "action": f"save:{method.pk}", f"version_{method.pk}": method.version, f"body_{method.pk}": "Editor's stale fix.",
    })
    page = response.content.decode()
    assert response.status_code == 200
    assert "was changed by someone else while you edited it" in page
    assert '<pre class="theirs">Publisher&#x27;s fix, saved first.</pre>' in page
    assert '<pre class="yours">Editor&#x27;s stale fix.</pre>' in page
    assert "Editor&#x27;s stale fix.</textarea>" in page, "the editor's text stays in the box"
    assert current(reviewed_paper).body == "Publisher's fix, saved first."


def test_flags_are_marked_where_they_point():
    text = "Fine start. " + "The same words again and again. " * 3
    flags = [{"code": "repetition", "severity": 3, "message": "repeats", "start": 12, "end": len(text) - 1}]
    html = str(highlight_flags(text, flags))
    assert html.startswith('Fine start. <mark class="flag sev3" title="repetition: repeats">The same words')
    assert highlight_flags("<script>x</script>", []) == "&lt;script&gt;x&lt;/script&gt;"


def test_the_diff_shows_what_the_editor_changed():
    assert str(diff_html("The model is fast.", "The model is very fast.")) == (
        "<span>The model is </span><ins>very </ins><span>fast.</span>")
    assert "<del>慢</del><ins>快</ins>" in str(diff_html("模型很慢。", "模型很快。"))


def test_the_review_page_shows_sections_preview_and_history(reviewed_paper, editor_client, editor):
    method = current(reviewed_paper)
    review.edit_section(method.pk, "1. First *step*.", method.version, editor)
    page = editor_client.get(f"/admin/papers/paper/{reviewed_paper.pk}/review/").content.decode()
    assert page.count('<textarea name="body_') == 4 and page.count('<form method="post" id="review-form">') == 1
    assert "<ol>\n<li>First <em>step</em>.</li>\n</ol>" in page, "preview through the public renderer"
    assert "<del>" in page and "Method edited" in page and "editor" in page
    assert reviewed_paper.abstract[:60] in page


def test_approve_all_and_next_opens_the_next_paper_in_the_queue(topic, fake_arxiv, editor_client):
    first = make_reviewed_paper(topic, fake_arxiv, 1, pdf=SCANNED)
    second = make_reviewed_paper(topic, fake_arxiv, 2)
    response = editor_client.post(f"/admin/papers/paper/{first.pk}/review/", {"action": "approve_all_next"})
    assert response["Location"] == f"/admin/papers/paper/{second.pk}/review/"
    assert not lifecycle.unapproved(first).exists()
    response = editor_client.post(f"/admin/papers/paper/{second.pk}/review/", {"action": "approve_all_next"})
    assert response["Location"] == "/admin/papers/paper/"


def test_save_and_approve_in_one_step(reviewed_paper, editor_client):
    method = current(reviewed_paper)
    editor_client.post(f"/admin/papers/paper/{reviewed_paper.pk}/review/", {
        "action": f"save_approve:{method.pk}", f"version_{method.pk}": method.version, f"body_{method.pk}": "Fixed.",
    })
    method.refresh_from_db()
    assert (method.body, method.status) == ("Fixed.", Section.Status.APPROVED)


def test_regenerating_a_section_saves_what_was_typed_first(reviewed_paper, editor_client):
    method = current(reviewed_paper)
    editor_client.post(f"/admin/papers/paper/{reviewed_paper.pk}/review/", {
        "action": f"regenerate:{method.pk}", f"version_{method.pk}": method.version,
        f"body_{method.pk}": "Typed, not saved.",
    })
    assert current(reviewed_paper).body == "Typed, not saved."
    assert reviewed_paper.events.filter(step="regenerate", outcome="queued", message__startswith="method").exists()


def test_a_bad_schedule_time_is_refused_with_a_message(reviewed_paper, client, publisher):
    client.force_login(publisher)
    review.approve_all(reviewed_paper, publisher)
    page = client.post(f"/admin/papers/paper/{reviewed_paper.pk}/review/",
                       {"action": "schedule", "publish_at": "2001-01-01T10:00"}, follow=True).content.decode()
    assert "Choose a time in the future" in page


def test_the_queue_shows_counts_flags_edits_and_filters(topic, fake_arxiv, editor_client, editor,
                                                        django_assert_max_num_queries):
    clean = make_reviewed_paper(topic, fake_arxiv, 1)
    scanned = make_reviewed_paper(topic, fake_arxiv, 2, pdf=SCANNED)
    method = current(clean)
    review.edit_section(method.pk, method.body + " More.", method.version, editor)
    assert editor_client.get("/admin/papers/paper/")["Location"] == "/admin/papers/paper/?review=queue", \
        "the queue opens on what needs review"
    page = editor_client.get("/admin/papers/paper/?review=queue").content.decode()
    assert "Not published: <strong>2</strong>" in page and "Drafts written: <strong>2</strong>" in page
    assert page.index("2401.00002") < page.index("2401.00001"), "worst flags first"
    assert "No text in the PDF" in page and ">6<" in page  # the clean paper's edit: six characters
    assert ">0/4<" in page and f">{topic.name}<" in page, "sections approved, and the topic"
    with django_assert_max_num_queries(13):
        editor_client.get("/admin/papers/paper/?review=queue")
    for query, shown, hidden in [
        ("?backend=extractive", [clean, scanned], []),
        ("?backend=gemini", [], [clean, scanned]),
        ("?flag=no_text", [scanned], [clean]),
        ("?flag=none", [clean], [scanned]),
        ("?q=Lovelace", [clean, scanned], []),
        ("?review_at__gte=2000-01-01+00:00:00%2B00:00", [clean, scanned], []),
        ("?review=ready", [], [clean, scanned]),
        ("?review=queue", [clean, scanned], []),
    ]:
        listing = editor_client.get(f"/admin/papers/paper/{query}").content.decode()
        assert all(p.arxiv_id in listing for p in shown), query
        assert not any(p.arxiv_id in listing for p in hidden), query


def test_the_effort_report_counts_unchanged_approvals_and_mean_change(topic, fake_arxiv, editor, publisher,
                                                                      editor_client):
    paper = make_reviewed_paper(topic, fake_arxiv, 1)
    method = current(paper)
    review.edit_section(method.pk, method.body + "0123456789", method.version, editor)  # 10 characters
    review.approve_all(paper, editor)
    lifecycle.publish(paper, publisher)
    rows = {(r["group"], r["name"]): r for r in review.effort_report()}
    backend = rows[("backend", "extractive")]
    assert backend["sections"] == 4 and backend["unchanged_share"] == 0.75 and backend["mean_distance"] == 2.5
    assert backend["median_to_publish"] is not None
    assert rows[("topic", topic.name)]["sections"] == 4
    page = editor_client.get("/admin/papers/paper/report/").content.decode()
    assert "<td>75%</td>" in page and "<td>2.5</td>" in page
