"""The review page is one form: whatever button is pressed, the text typed in every box is saved first,
the checks follow the saved text, and the editor comes back where they were."""

import re

import pytest

from papers import lifecycle
from papers.models import Figure, Paper, Section

from .factories import make_reviewed_paper

RUNAWAY = "The method keeps a memory of past motion and reads it at every step " * 30  # one 2,100-character line


def review_url(paper):
    return f"/admin/papers/paper/{paper.pk}/review/"


def page_form(client, paper):
    """What the browser would send: every box and field of the page as it is, and its buttons."""
    page = client.get(review_url(paper)).content.decode()
    data = {}
    for name, value in re.findall(r'<input type="hidden" name="(version_\d+|figures_shown)" value="([^"]*)"', page):
        data[name] = value
    for name in re.findall(r'<textarea name="(body_\d+)"', page):
        section = Section.objects.get(pk=name.removeprefix("body_"))
        data[name] = section.body
    data["kept"] = [str(f.pk) for f in paper.figures.filter(kept=True)]
    buttons = re.findall(r'<button name="action" value="([^"]+)"(?![^>]*disabled)', page)
    return data, buttons


def current(paper, kind):
    return Section.objects.get(paper=paper, kind=kind, is_current=True)


def test_the_page_has_one_form_with_every_button(reviewed_paper, client, publisher):
    client.force_login(publisher)
    page = client.get(review_url(reviewed_paper)).content.decode()
    review = page[page.index('<div class="review"'):page.index("<h2>History</h2>")]
    assert review.count("<form") == 1 and '<form method="post" id="review-form">' in review
    _, buttons = page_form(client, reviewed_paper)
    method = current(reviewed_paper, "method")
    assert {f"save:{method.pk}", f"save_approve:{method.pk}", "approve_all_next", "approve_publish_next",
            "figures", "reject"} <= set(buttons)


# Every button of a publisher's review page; a section's buttons name the section they are in.
BUTTONS = ["save:method", "save_approve:summary", "regenerate:conclusion", "approve_all", "approve_all_next",
           "regenerate", "figures", "check_licence", "approve_publish", "approve_publish_next", "schedule",
           "figure_licence", "reject"]


def test_the_list_of_buttons_is_every_button_of_the_page(reviewed_paper, client, publisher):
    client.force_login(publisher)
    _, buttons = page_form(client, reviewed_paper)
    assert {re.sub(r":\d+$", "", b) for b in buttons} == {b.split(":")[0] for b in BUTTONS} - {"publish"}


@pytest.mark.parametrize("button", BUTTONS)
def test_no_button_loses_the_text_typed_in_a_box_or_a_ticked_figure(
    topic, fake_arxiv, client, publisher, button
):
    paper = make_reviewed_paper(topic, fake_arxiv)
    client.force_login(publisher)
    data, buttons = page_form(client, paper)
    method = current(paper, "method")
    hidden = paper.figures.get(kept=False)
    action, _, kind = button.partition(":")
    target = f":{current(paper, kind).pk}" if kind else ""
    assert f"{action}{target}" in buttons, "the button is on the page"
    data[f"body_{method.pk}"] = "1. Typed by the editor, in the method box."
    data["kept"] = data["kept"] + [str(hidden.pk)]
    client.post(review_url(paper), {**data, "action": f"{action}{target}", "reason": "off topic",
                                    "publish_at": "2099-01-01T10:00"})
    assert current(paper, "method").body == "1. Typed by the editor, in the method box."
    assert Figure.objects.get(pk=hidden.pk).kept, "the ticked figure was saved too"


def test_approve_all_approves_the_text_in_the_boxes(reviewed_paper, client, editor):
    client.force_login(editor)
    data, _ = page_form(client, reviewed_paper)
    summary = current(reviewed_paper, "summary")
    data[f"body_{summary.pk}"] = "Head avatars from one video, with a visual prior."
    response = client.post(review_url(reviewed_paper), {**data, "action": "approve_all"}, follow=True)
    summary = current(reviewed_paper, "summary")
    assert (summary.body, summary.status) == ("Head avatars from one video, with a visual prior.",
                                              Section.Status.APPROVED)
    assert f"{reviewed_paper.arxiv_id}: One-line summary saved; 4 section(s) approved." in response.content.decode()


def test_a_refused_action_keeps_the_text_saved_and_in_the_box(reviewed_paper, client, publisher):
    client.force_login(publisher)
    data, _ = page_form(client, reviewed_paper)
    method = current(reviewed_paper, "method")
    data[f"body_{method.pk}"] = "Typed before a publication that is refused."
    response = client.post(review_url(reviewed_paper), {**data, "action": "schedule", "publish_at": "2001-01-01T10:00"})
    page = response.content.decode()
    assert "Choose a time in the future" in page
    assert "Typed before a publication that is refused.</textarea>" in page
    assert current(reviewed_paper, "method").body == "Typed before a publication that is refused."


def test_two_editors_saving_the_same_section_lose_nothing(reviewed_paper, client, editor, publisher):
    client.force_login(editor)
    data, _ = page_form(client, reviewed_paper)
    method = current(reviewed_paper, "method")
    other = type(client)()
    other.force_login(publisher)
    first = {**data, f"body_{method.pk}": "The publisher's text, saved first.", "action": f"save:{method.pk}"}
    other.post(review_url(reviewed_paper), first)
    page = client.post(review_url(reviewed_paper), {**data, f"body_{method.pk}": "The editor's text.",
                                                    "action": "approve_all"}).content.decode()
    assert "was changed by someone else" in page and "The editor&#x27;s text.</textarea>" in page
    assert current(reviewed_paper, "method").body == "The publisher's text, saved first."
    assert lifecycle.unapproved(reviewed_paper).exists(), "nothing was approved over the conflict"


def test_a_save_comes_back_to_the_section(reviewed_paper, client, editor):
    client.force_login(editor)
    data, _ = page_form(client, reviewed_paper)
    method = current(reviewed_paper, "method")
    response = client.post(review_url(reviewed_paper), {**data, "action": f"save:{method.pk}"})
    assert response["Location"] == f"{review_url(reviewed_paper)}#section-method"
    response = client.post(review_url(reviewed_paper), {**data, "action": "figures"})
    assert response["Location"] == f"{review_url(reviewed_paper)}#paper-actions"


def test_fixing_a_runaway_paragraph_clears_its_flag_and_lowers_the_score(reviewed_paper, client, editor):
    client.force_login(editor)
    method = current(reviewed_paper, "method")
    data, _ = page_form(client, reviewed_paper)
    client.post(review_url(reviewed_paper), {**data, f"body_{method.pk}": RUNAWAY, "action": f"save:{method.pk}"})
    method = current(reviewed_paper, "method")
    flagged = [f for f in method.flags if f["code"] == "long_paragraph"]
    assert len(flagged) == 1 and (flagged[0]["start"], flagged[0]["end"]) == (0, len(RUNAWAY.rstrip("\n")))
    score = Paper.objects.get(pk=reviewed_paper.pk).flag_score
    data, _ = page_form(client, reviewed_paper)
    fixed = "1. The method keeps a memory of past motion.\n2. It reads the memory at every step."
    client.post(review_url(reviewed_paper), {**data, f"body_{method.pk}": fixed, "action": f"save:{method.pk}"})
    method = current(reviewed_paper, "method")
    assert [f["code"] for f in method.flags] == [] and method.flag_score == 0
    assert Paper.objects.get(pk=reviewed_paper.pk).flag_score < score


def test_the_history_is_one_list_newest_first(reviewed_paper, client, editor):
    client.force_login(editor)
    data, _ = page_form(client, reviewed_paper)
    method = current(reviewed_paper, "method")
    client.post(review_url(reviewed_paper), {**data, f"body_{method.pk}": "Edited.", "action": f"save:{method.pk}"})
    page = client.get(review_url(reviewed_paper)).content.decode()
    history = page[page.index("<h2>History</h2>"):]
    times = re.findall(r"<tr><td>(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)</td>", history)
    assert len(times) > 4 and times == sorted(times, reverse=True)
    assert history.index("Method edited") < history.index("review done")
