"""Every recorded arXiv response maps onto the right Paper fields."""

from datetime import datetime, timezone

import pytest

from papers.ingest import arxiv_source
from papers.ingest.arxiv_source import ArxivUnavailable, records_from_feed_file

from .conftest import SHARED, corpus_cases, shared_file
from .factories import SAMPLES


def records(name):
    return records_from_feed_file(shared_file("arxiv", name))


@pytest.mark.corpus
def test_two_authors_and_a_cross_list():
    (rec,) = records("new_two_authors_two_categories.xml")
    assert (rec.arxiv_id, rec.version) == ("1605.08386", 1)
    assert rec.title == "Heat-bath random walks with Markov bases"
    assert rec.authors == ["Caprice Stanley", "Tobias Windisch"]
    assert rec.primary_category == "math.CO"
    assert rec.categories == ["math.CO", "math.ST"]
    assert rec.comment == "20 pages, 3 figures"
    assert rec.arxiv_published == datetime(2016, 5, 26, 17, 59, 46, tzinfo=timezone.utc)
    assert rec.abs_url == "https://arxiv.org/abs/1605.08386v1"
    assert rec.pdf_url == "https://arxiv.org/pdf/1605.08386v1"


@pytest.mark.corpus
def test_thirty_four_authors_in_order_with_non_ascii_names():
    (rec,) = records("new_idlist_one_missing_one_found_34_authors_utf8.xml")
    assert rec.arxiv_id == "1707.08567"
    assert len(rec.authors) == 34
    assert "Dirk Wübben" in rec.authors
    assert rec.comment.startswith("44 pages")


@pytest.mark.corpus
def test_old_style_id_journal_ref_affiliations_and_url_in_comment():
    (rec,) = records("new_oldstyle_id_journal_ref_affiliations_comment_url.xml")
    assert (rec.arxiv_id, rec.version) == ("astro-ph/0601001", 1)
    assert rec.journal_ref == "ActaAstron.56:1-50,2006"
    assert rec.project_url == "http://www.astronomy.ohio-state.edu/~gould/ogle_hot_jupiters.ps.gz"
    assert rec.code_url == ""
    assert "Ohio State" in sum(rec.affiliations.values(), [])
    assert rec.pdf_url == "https://arxiv.org/pdf/astro-ph/0601001v1"


@pytest.mark.corpus
def test_the_title_zero_is_kept_and_no_comment_is_empty():
    (rec,) = records("new_numeric_title_0_no_comment.xml")
    assert rec.title == "0"
    assert rec.comment == ""
    assert rec.authors == ["Quan Thoi Minh Nguyen"]


@pytest.mark.corpus
def test_a_search_page_with_dois_and_journal_refs():
    recs = records("new_search_all_testing_10_entries_doi_journal_ref.xml")
    assert len(recs) == 10
    first = recs[0]
    assert (first.arxiv_id, first.doi) == ("2202.12139", "10.1109/ICSTW55395.2022.00035")
    assert first.journal_ref.startswith("Artificial Intelligence in Software Testing")
    assert sum(bool(r.doi) for r in recs) == 6
    assert [r.version for r in recs if r.arxiv_id == "2204.08348"] == [3]


@pytest.mark.corpus
def test_old_format_with_a_hard_wrapped_title_and_abstract():
    (rec,) = records("old2016_idlist_1111.2011v2_doi_journal_ref_wrapped_title.xml")
    assert (rec.arxiv_id, rec.version) == ("1111.2011", 2)
    assert rec.title == (
        "Quantum Criticality for Extended Nodes on a Bethe Lattice in the Large Connectivity Limit"
    )
    assert "\n" not in rec.abstract and "  " not in rec.abstract
    assert rec.pdf_url == "https://arxiv.org/pdf/1111.2011v2", "old feeds' http links become https"
    assert rec.abstract.startswith("Theoretical description of anisotropic systems")
    assert rec.doi and rec.journal_ref


@pytest.mark.corpus
def test_old_format_search_mixes_old_and_new_ids_and_versions():
    recs = records("old2016_search_au_del_maestro_10_entries.xml")
    ids = {(r.arxiv_id, r.version) for r in recs}
    assert ("cond-mat/0412498", 1) in ids
    assert ("cond-mat/0702661", 2) in ids
    assert ("1303.6954", 2) in ids
    assert len(recs) == 10


@pytest.mark.parametrize("feed", corpus_cases(core=[SAMPLES / "arxiv" / "empty.xml"],
                                              shared=[SHARED / "arxiv" / "new_empty_result_id_0000.0000.xml"]))
def test_the_empty_feed_has_no_records(feed):
    assert records_from_feed_file(feed) == []


@pytest.mark.parametrize("feed, message", corpus_cases(
    core=[(SAMPLES / "arxiv" / "error_400.xml", "incorrect id format for 2699.x")],
    shared=[(SHARED / "arxiv" / "new_error_http400_incorrect_id_format_abc.xml", "incorrect id format for abc")],
))
def test_the_error_feed_is_an_error_not_a_paper(feed, message):
    with pytest.raises(ArxivUnavailable, match=message):
        records_from_feed_file(feed)


@pytest.mark.parametrize("text, project, code", [
    ("Homepage: https://loopyavatar.github.io/", "https://loopyavatar.github.io/", ""),
    ("Code: https://github.com/org/repo. Project: https://x.org/p", "https://x.org/p", "https://github.com/org/repo"),
    ("see http://arxiv.org/abs/1234.5678 only", "", ""),
])
def test_project_and_code_links_are_found_in_comments(text, project, code):
    assert arxiv_source.find_links(text) == (project, code)


def test_the_projects_sample_feed_maps_onto_six_papers():
    feed = records_from_feed_file(SAMPLES / "arxiv" / "avatars.xml")
    assert [(r.arxiv_id, r.version) for r in feed] == [(f"2699.0000{n}", 1) for n in range(1, 7)]
    echo = feed[0]
    assert echo.authors == ["Lin Qiao", "Marta Oliveira", "Kenji Sato"]
    assert echo.categories == ["cs.CV", "cs.GR"] and echo.primary_category == "cs.CV"
    assert echo.comment.startswith("9 pages, 2 figures")
    assert echo.arxiv_published == echo.arxiv_updated == datetime(2026, 11, 20, 17, 0, tzinfo=timezone.utc)
    assert echo.project_url == "https://echoface-demo.github.io/" and echo.code_url == ""
