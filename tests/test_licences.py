"""Figures follow the paper's licence, read from arXiv's OAI-PMH interface; an editor may override, with a reason."""

import pytest
from django.test import TestCase

from papers import licences, lifecycle
from papers.editorial import review
from papers.ingest import oai
from papers.models import Figure, Paper

from .conftest import DATA, SHARED, corpus_cases
from .factories import make_reviewed_paper

OAI = DATA / "oai"
RECORDED = SHARED / "oai"
CC_BY = "http://creativecommons.org/licenses/by/4.0/"
NONEXCLUSIVE = "http://arxiv.org/licenses/nonexclusive-distrib/1.0/"


def reply(fake_arxiv, name, status=200):
    fake_arxiv.oai.append((status, (OAI / name).read_bytes()))


def published(paper, user):
    with TestCase.captureOnCommitCallbacks(execute=True):
        review.approve_all(paper, user)
        lifecycle.publish(paper, user)
    paper.refresh_from_db()
    return paper


@pytest.mark.parametrize("name, url, is_open", [
    ("getrecord_cc_by_4.0.xml", "http://creativecommons.org/licenses/by/4.0/", True),
    ("getrecord_cc_by_nc_sa_4.0.xml", "http://creativecommons.org/licenses/by-nc-sa/4.0/", False),
    ("getrecord_arxiv_nonexclusive.xml", "http://arxiv.org/licenses/nonexclusive-distrib/1.0/", False),
    ("getrecord_no_license.xml", "", False),
])
def test_the_licence_is_read_from_the_arxiv_record(name, url, is_open):
    licence = oai.parse_licence((OAI / name).read_bytes())
    assert licence == url and licences.is_open(licence) is is_open


# What arXiv's OAI-PMH answers say (../shared/samples/oai, SOURCES.md there): a licence URL, no licence, or an error
# inside an HTTP 200. The hand-written files in tests/data/oai show the same to the core layer.
RECORDED_ANSWERS = [
    ("arxiv-server/getrecord_0907.2974_cc-by-4.0.xml", "0907.2974", CC_BY, True),
    ("arxiv-server/getrecord_2310.08262_cc-by-nc-nd-4.0.xml", "2310.08262",
     "http://creativecommons.org/licenses/by-nc-nd/4.0/", False),
    ("arxiv-server/getrecord_0806.4129_nonexclusive-distrib-1.0.xml", "0806.4129", NONEXCLUSIVE, False),
    ("arxiv-server/getrecord_cs_0001024_no-licence.xml", "cs/0001024", "", False),
    ("arxiv-server/getrecord_2307.10651_idDoesNotExist.xml", "2307.10651", "idDoesNotExist: ", None),
    ("arxiv-server/getrecord_malformed-id_not-a-real-id.xml", "2401.99999", "Invalid arXiv_id structure", None),
    ("arxiv-server/getrecord_malformed-id_missing-oai-prefix.xml", "2401.99998",
     "All identifiers start with: oai:arXiv.org:", None),
    ("export-oai2-2016-2018/getrecord_1401.2122_nonexclusive-distrib-1.0.xml", "1401.2122", NONEXCLUSIVE, False),
    ("export-oai2-2016-2018/getrecord_1512.07978_nonexclusive-distrib-1.0.xml", "1512.07978", NONEXCLUSIVE, False),
]
OWN_ANSWERS = [
    ("getrecord_cc_by_4.0.xml", "1111.2011", CC_BY, True),
    ("getrecord_arxiv_nonexclusive.xml", "1111.2011", NONEXCLUSIVE, False),
    ("getrecord_no_license.xml", "1111.2011", "", False),
    ("error_id_does_not_exist.xml", "1111.2011", "idDoesNotExist: ", None),
]


@pytest.mark.parametrize("path, arxiv_id, expected, is_open", corpus_cases(
    [(RECORDED / name, *rest) for name, *rest in RECORDED_ANSWERS],
    core=[(OAI / name, *rest) for name, *rest in OWN_ANSWERS]))
def test_the_real_client_reads_each_oai_pmh_answer(db, fake_arxiv, path, arxiv_id, expected, is_open):
    status_file = path.with_name(path.name + ".status")
    status = int(status_file.read_text().split()[0]) if status_file.exists() else 200
    fake_arxiv.oai.append((status, path.read_bytes()))
    if is_open is None:
        with pytest.raises(oai.LicenceUnavailable, match=expected):
            oai.fetch_licence(arxiv_id)
    else:
        licence = oai.fetch_licence(arxiv_id)
        assert licence == expected and licences.is_open(licence) is is_open
    assert fake_arxiv.requests[-1].endswith(f"identifier=oai%3AarXiv.org%3A{arxiv_id.replace('/', '%2F')}"
                                            "&metadataPrefix=arXiv")


def test_only_cc_by_by_sa_and_cc0_allow_figures():
    assert licences.is_open("https://creativecommons.org/publicdomain/zero/1.0/")
    assert licences.is_open("http://creativecommons.org/licenses/by-sa/4.0/")
    assert not licences.is_open("http://creativecommons.org/licenses/by-nc/4.0/")
    assert not licences.is_open("http://creativecommons.org/licenses/by-nd/4.0/")
    assert [licences.short_name(u) for u in ("http://creativecommons.org/licenses/by/4.0/",
                                             "http://creativecommons.org/publicdomain/zero/1.0/", "")] == [
        "CC BY 4.0", "CC0 1.0", "arXiv's default licence"]


def test_a_cc_by_paper_publishes_its_lead_figure_with_the_credit(topic, fake_arxiv, client, publisher):  # noqa: F811
    reply(fake_arxiv, "getrecord_cc_by_4.0.xml")
    paper = make_reviewed_paper(topic, fake_arxiv, license="")
    assert paper.license == "http://creativecommons.org/licenses/by/4.0/" and paper.license_checked_at
    oai = [r for r in fake_arxiv.requests if r.startswith("/oai?")]
    assert oai == ["/oai?verb=GetRecord&identifier=oai%3AarXiv.org%3A2401.00001&metadataPrefix=arXiv"]
    page = client.get(published(paper, publisher).get_absolute_url()).content.decode()
    assert page.count("<figure>") == 1
    assert "Ada Lovelace et al., arXiv:2401.00001, CC BY 4.0" in page


def test_under_a_licence_without_reuse_figures_wait_for_an_override_with_a_reason(
    topic, fake_arxiv, client, publisher, editor  # noqa: F811
):
    reply(fake_arxiv, "getrecord_arxiv_nonexclusive.xml")
    paper = published(make_reviewed_paper(topic, fake_arxiv, license=""), publisher)
    assert paper.figures.filter(kept=True).count() == 1 and not Figure.objects.public().exists()
    assert client.get(paper.get_absolute_url()).content.decode().count("<figure>") == 0

    client.force_login(editor)
    url = f"/admin/papers/paper/{paper.pk}/review/"
    response = client.post(url, {"action": "figure_licence", "override_reason": "The authors agreed by e-mail."})
    assert response.status_code == 403, "only someone who may publish can override"
    client.force_login(publisher)
    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post(url, {"action": "figure_licence", "override_reason": "The authors agreed by e-mail."})
    paper.refresh_from_db()
    assert (paper.figures_override_reason, paper.figures_override_by) == ("The authors agreed by e-mail.", publisher)
    assert paper.events.filter(step="figures", message__contains="The authors agreed", user=publisher).exists()
    client.logout()
    page = client.get(paper.get_absolute_url()).content.decode()
    assert page.count("<figure>") == 1 and "arXiv non-exclusive licence" in page

    with TestCase.captureOnCommitCallbacks(execute=True):
        lifecycle.override_figure_licence(paper, "  ", publisher)
    assert client.get(paper.get_absolute_url()).content.decode().count("<figure>") == 0, "withdrawn"


@pytest.mark.parametrize("status, name, message", [
    (200, "error_id_does_not_exist.xml", "idDoesNotExist"),
    (503, "getrecord_cc_by_4.0.xml", "answered 503"),
])
def test_an_oai_pmh_error_or_outage_leaves_the_licence_unknown_and_loses_nothing(
    topic, fake_arxiv, publisher, status, name, message  # noqa: F811
):
    reply(fake_arxiv, name, status)
    paper = make_reviewed_paper(topic, fake_arxiv, license="")
    assert paper.stage == Paper.Stage.DRAFTED and paper.figures.count() == 2
    assert (paper.license, paper.license_checked_at) == ("", None)
    assert message in paper.events.get(step="licence", outcome="unknown").message
    assert not paper.figures_allowed
    # Once arXiv answers, an editor checks again from the review page.
    fake_arxiv.oai[:] = [(200, (OAI / "getrecord_cc_by_4.0.xml").read_bytes())]
    assert review.check_licence_again(paper, publisher) == "http://creativecommons.org/licenses/by/4.0/"
    paper.refresh_from_db()
    assert paper.figures_allowed


def test_an_override_is_refused_where_the_licence_already_allows(topic, fake_arxiv, publisher):  # noqa: F811
    paper = make_reviewed_paper(topic, fake_arxiv)
    with pytest.raises(lifecycle.TransitionError, match="already allows"):
        lifecycle.override_figure_licence(paper, "just in case", publisher)


def test_the_review_page_says_the_licence_and_offers_the_override_to_publishers_only(
    topic, fake_arxiv, client, editor, publisher  # noqa: F811
):
    reply(fake_arxiv, "getrecord_cc_by_nc_sa_4.0.xml")
    paper = make_reviewed_paper(topic, fake_arxiv, license="")
    client.force_login(editor)
    page = client.get(f"/admin/papers/paper/{paper.pk}/review/").content.decode()
    assert "CC BY-NC-SA 4.0" in page and "<strong>not</strong> published" in page
    assert "Show figures anyway" not in page
    client.force_login(publisher)
    assert "Show figures anyway" in client.get(f"/admin/papers/paper/{paper.pk}/review/").content.decode()



def test_after_an_outage_the_admin_filters_unknown_licences_and_checks_them_in_bulk(
    topic, fake_arxiv, client, editor  # noqa: F811
):
    reply(fake_arxiv, "getrecord_cc_by_4.0.xml", status=503)
    papers = [make_reviewed_paper(topic, fake_arxiv, n, license="") for n in (1, 2)]
    client.force_login(editor)
    listing = client.get("/admin/papers/paper/?licence=unknown").content.decode()
    assert all(p.arxiv_id in listing for p in papers)
    fake_arxiv.oai[:] = [(200, (OAI / "getrecord_cc_by_4.0.xml").read_bytes())]
    response = client.post("/admin/papers/paper/", {"action": "check_licences",
                                                    "_selected_action": [p.pk for p in papers]}, follow=True)
    assert "2 paper(s) checked." in response.content.decode()
    assert set(Paper.objects.values_list("license", flat=True)) == {"http://creativecommons.org/licenses/by/4.0/"}
    assert client.get("/admin/papers/paper/?licence=unknown").content.decode().count("2401.0000") == 0
    assert all(p.arxiv_id in client.get("/admin/papers/paper/?licence=open").content.decode() for p in papers)
