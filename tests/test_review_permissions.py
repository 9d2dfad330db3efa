"""Who may do what: every review action and admin URL, for every kind of user."""

from datetime import timedelta

import pytest
from django.utils import timezone

from papers import lifecycle
from papers.editorial import review
from papers.models import Paper, Section

from .factories import make_reviewed_paper, user_in

ROLES = ["anonymous", "staff", "editor", "publisher", "superuser"]
EVERYONE_ON_STAFF = {"editor": "ok", "publisher": "ok", "superuser": "ok", "staff": "denied", "anonymous": "login"}
PUBLISHERS = {"editor": "denied", "publisher": "ok", "superuser": "ok", "staff": "denied", "anonymous": "login"}
SUPERUSER = {"editor": "denied", "publisher": "denied", "superuser": "ok", "staff": "denied", "anonymous": "login"}


def review_url(paper):
    return f"/admin/papers/paper/{paper.pk}/review/"


def current(paper, kind="method"):
    return Section.objects.get(paper=paper, kind=kind, is_current=True)


# Each case: (name, who may, request maker, effect check). The effect check says whether it happened.
CASES = [
    ("queue", EVERYONE_ON_STAFF, lambda c, p: c.get("/admin/papers/paper/"), None),
    ("review page", EVERYONE_ON_STAFF, lambda c, p: c.get(review_url(p)), None),
    ("change page", EVERYONE_ON_STAFF, lambda c, p: c.get(f"/admin/papers/paper/{p.pk}/change/"), None),
    ("effort report", EVERYONE_ON_STAFF, lambda c, p: c.get("/admin/papers/paper/report/"), None),
    ("topics list", EVERYONE_ON_STAFF, lambda c, p: c.get("/admin/papers/topic/"), None),
    ("add a topic", SUPERUSER, lambda c, p: c.get("/admin/papers/topic/add/"), None),
    ("edit a section", EVERYONE_ON_STAFF,
     lambda c, p: c.post(review_url(p), {"action": f"save:{current(p).pk}", f"version_{current(p).pk}": current(p).version,
                                         f"body_{current(p).pk}": "Edited text."}),
     lambda p: current(p).body == "Edited text."),
    ("approve all", EVERYONE_ON_STAFF, lambda c, p: c.post(review_url(p), {"action": "approve_all"}),
     lambda p: not lifecycle.unapproved(p).exists()),
    ("regenerate", EVERYONE_ON_STAFF, lambda c, p: c.post(review_url(p), {"action": "regenerate"}),
     lambda p: p.events.filter(step="regenerate", outcome="queued").exists()),
    ("reject", EVERYONE_ON_STAFF, lambda c, p: c.post(review_url(p), {"action": "reject", "reason": "off topic"}),
     lambda p: Paper.objects.get(pk=p.pk).status == Paper.Status.REJECTED),
    ("hide figures", EVERYONE_ON_STAFF, lambda c, p: c.post(review_url(p), {"action": "figures", "figures_shown": "1"}),
     lambda p: not p.figures.filter(kept=True).exists()),
    ("publish", PUBLISHERS, lambda c, p: c.post(review_url(p), {"action": "publish"}),
     lambda p: Paper.objects.published().filter(pk=p.pk).exists()),
    ("schedule", PUBLISHERS,
     lambda c, p: c.post(review_url(p), {"action": "schedule",
                                         "publish_at": (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")}),
     lambda p: Paper.objects.get(pk=p.pk).publish_at is not None),
    ("unpublish", PUBLISHERS, lambda c, p: c.post(review_url(p), {"action": "unpublish"}),
     lambda p: not Paper.objects.published().filter(pk=p.pk).exists()),
    ("bulk approve", EVERYONE_ON_STAFF,
     lambda c, p: c.post("/admin/papers/paper/", {"action": "approve_all", "_selected_action": [p.pk]}),
     lambda p: not lifecycle.unapproved(p).exists()),
    ("bulk publish", PUBLISHERS,
     lambda c, p: c.post("/admin/papers/paper/", {"action": "publish", "_selected_action": [p.pk]}),
     lambda p: Paper.objects.published().filter(pk=p.pk).exists()),
    ("bulk unpublish", PUBLISHERS,
     lambda c, p: c.post("/admin/papers/paper/", {"action": "unpublish", "_selected_action": [p.pk]}),
     lambda p: not Paper.objects.published().filter(pk=p.pk).exists()),
]




@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name, allowed, make_request, happened", CASES, ids=[c[0] for c in CASES])
def test_permission_matrix(client, django_user_model, topic, fake_arxiv, role, name, allowed, make_request, happened):
    paper = make_reviewed_paper(topic, fake_arxiv)
    admin_user = user_in(django_user_model, "setup", superuser=True)
    if name in ("publish", "bulk publish", "schedule"):
        review.approve_all(paper, admin_user)
    if name in ("unpublish", "bulk unpublish"):
        review.approve_all(paper, admin_user)
        lifecycle.publish(paper, admin_user)
    if role != "anonymous":
        client.force_login(user_in(django_user_model, role, {"editor": "Editor", "publisher": "Publisher"}.get(role),
                                   superuser=role == "superuser"))
    response = make_request(client, paper)
    expected = allowed[role]
    if expected == "login":
        assert response.status_code == 302 and "/admin/login/" in response["Location"]
    elif expected == "denied":
        assert response.status_code in (302, 403)
        if response.status_code == 302:  # an action the user is not offered: refused, nothing done
            assert "/admin/login/" not in response["Location"]
    else:
        assert response.status_code in (200, 302)
        if response.status_code == 302:
            assert "/admin/login/" not in response["Location"]
    if happened:
        assert happened(paper) == (expected == "ok"), f"{role} {name}"
