"""Search over published papers: English and Chinese, ranked, filtered, never unpublished."""

import datetime
import html
import io
import re

from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import TestCase
from django.test.utils import CaptureQueriesContext

from papers import lifecycle, tasks
from papers.editorial import review
from papers.measurement.seeding import seed_papers
from papers.models import Generation, Paper, Publication, Section, Topic
from papers.public import caching, search, snippets

from .conftest import only_on_postgres, only_on_sqlite
from .factories import paper_in_review, publish, published_paper


def test_english_words_find_papers_by_title_abstract_and_published_text(site):
    assert search.search("EchoFace") == [site["avatar"].pk]  # in its published sections
    assert search.search("GaussHead") == [site["belle"].pk]
    assert search.search("avatars") and site["avatar"].pk in search.search("Lovelace")


def test_authors_are_found_without_their_accents_and_by_either_half_of_a_hyphenated_name(topic, publisher):
    paper = published_paper(topic, publisher, 1, authors=["José Pérez-García", "Zoë Ångström"])
    for query in ["jose perez", "Pérez-García", "perez-garcia", "garcia", "zoe angstrom", "ÅNGSTRÖM"]:
        assert search.search(query) == [paper.pk], query


def test_unpublished_text_and_papers_are_not_searchable(site):
    assert search.search("DRAFT-ONLY-TITLE") == []
    assert search.search("REJECTED-ONLY-TITLE") == []
    assert search.search("UNAPPROVED-EDIT-TEXT") == []


def test_chinese_words_of_two_or_more_characters_are_found(topic, db):
    papers = seed_papers(30, topic=topic)
    with_word = [p for p in papers if "数字人" in p.title]
    assert with_word
    assert set(search.search("数字人", limit=100)) >= {p.pk for p in with_word}
    assert set(search.search("数字", limit=100)) >= {p.pk for p in with_word}  # two characters, a prefix of the word
    assert search.search("数字人 不存在的词") == []


def test_title_matches_rank_above_body_matches(site):
    titled = published_paper(site["topic"], site["user"], 5, title="Lumina: relightable head avatars")
    mentioned = paper_in_review(site["topic"], 6)
    summary = Section.objects.get(paper=mentioned, kind="summary", is_current=True)
    review.edit_section(summary.pk, "We compare with Lumina once.", summary.version, site["user"])
    mentioned = publish(mentioned, site["user"])
    assert search.search("Lumina") == [titled.pk, mentioned.pk]


def test_filters_by_topic_and_date(site):
    day = site["avatar"].published_on
    assert search.search("avatars", topic=site["topic"]) == search.search("avatars")
    assert search.search("avatars", date_from=day + datetime.timedelta(days=1)) == []
    assert search.search("avatars", date_to=day - datetime.timedelta(days=1)) == []
    assert search.search("avatars", date_from=day, date_to=day)


def test_a_filter_finds_a_weak_match_ranked_below_hundreds_outside_it(topic, db):
    seed_papers(300, topic=topic)
    other = Topic.objects.create(name="Other", slug="other", query="all:other")
    [lone] = seed_papers(1, topic=other, seed=1)
    # One mention in a long abstract: every one of the 300 ranks above it.
    Paper.objects.filter(pk=lone.pk).update(title="Unrelated", abstract="filler " * 200 + "avatar")
    search.index_paper(Paper.objects.get(pk=lone.pk))
    assert len(search.search("avatar", limit=1000)) > 250
    assert search.search("avatar", topic=other) == [lone.pk]


def index_rows():
    with connection.cursor() as cursor:
        cursor.execute("SELECT rowid FROM papers_fts ORDER BY rowid")
        return [row[0] for row in cursor.fetchall()]


def test_reindex_search_restores_a_lost_index_and_drops_stale_rows_and_counts(topic, db):
    papers = seed_papers(6, topic=topic)
    word = papers[0].title.split()[0]
    for paper in papers:
        search.remove_paper(paper.pk)
    assert search.search(word) == []
    # A row left behind by a paper unpublished without the index knowing (a restored backup).
    stale = papers.pop()
    search.index_paper(stale)
    Paper.objects.filter(pk=stale.pk).update(status=Paper.Status.UNPUBLISHED, published_at=None)
    out = io.StringIO()
    call_command("reindex_search", stdout=out)
    assert out.getvalue().strip() == "5 published papers indexed; topic days counted: 1"
    assert list(topic.days.values_list("papers", flat=True)) == [5], "the day counts what is public, not 6"
    assert papers[0].pk in search.search(word)
    assert index_rows() == sorted(p.pk for p in papers)


def test_unpublishing_removes_a_paper_from_search(site):
    with TestCase.captureOnCommitCallbacks(execute=True):
        lifecycle.unpublish(site["avatar"], site["user"])
    assert search.search("EchoFace") == []


def test_a_result_shows_what_is_published_and_nothing_of_a_paper_withdrawn_meanwhile(site):
    avatar, belle = site["avatar"], site["belle"]
    ids = search.search("EchoFace") + search.search("GaussHead")
    Section.objects.filter(paper=belle, kind=Section.Kind.SUMMARY).update(public=False)  # a paper without one
    shown = search.shown(ids)
    assert shown[avatar.pk][3] == avatar.publication.title
    assert shown[avatar.pk][5] == avatar.sections.get(kind="summary", is_current=True).published_body
    assert shown[belle.pk][5] is None
    # Withdrawn between the search and the page's reading of its results.
    with TestCase.captureOnCommitCallbacks(execute=True):
        lifecycle.unpublish(avatar, site["user"])
    assert set(search.shown(ids)) == {belle.pk}


def test_a_passage_from_the_summary_carries_the_summarys_language(client, topic, publisher):
    paper = paper_in_review(topic, 1)
    summary = paper.sections.get(kind="summary", is_current=True)
    review.edit_section(summary.pk, "一种新的扩散模型，用于驱动数字人。", summary.version, publisher)
    Generation.objects.filter(pk=summary.generation_id).update(language="zh")
    publish(Paper.objects.get(pk=paper.pk), publisher)
    page = client.get("/search/?q=扩散模型").content.decode()
    assert re.search(r'<p class="snippet" lang="zh">一种新的<mark>扩散模型</mark>', page)
    page = client.get("/search/?q=stiff+heads").content.decode()
    assert '<p class="snippet" lang="en">' in page


def test_the_search_page_lists_results_with_their_summaries(client, site):
    page = client.get("/search/?q=EchoFace").content.decode()
    assert "1 result" in page and site["avatar"].title in page and 'class="summary"' in page
    assert "0 results" in client.get("/search/?q=zzzzqqq").content.decode()
    assert client.get("/search/?q=%22%28%29*%3A").status_code == 200, "FTS syntax in a query is harmless"


@only_on_postgres  # the search table's backfill is PostgreSQL's
def test_upgrading_postgresql_keeps_published_papers_searchable(transactional_db):
    before, after = [("papers", "0008_figures_and_licences")], [("papers", "0009_postgres_search_table")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old_paper = executor.loader.project_state(before).apps.get_model("papers", "Paper")
    old_paper.objects.create(arxiv_id="2401.00001", title="Gaussian avatars", abs_url="https://arxiv.org/abs/2401.00001",
                             pdf_url="https://arxiv.org/pdf/2401.00001", search_document="Gaussian avatars 数字 字人")
    try:
        MigrationExecutor(connection).migrate(after)
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM papers_fts WHERE document @@ to_tsquery('simple', 'avatars & 字人')")
            assert cursor.fetchone() == (1,)
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())


def test_other_forms_of_a_word_and_a_word_typed_short_find_the_paper(topic, publisher):
    paper = published_paper(topic, publisher, 1, title="Talking Head Reconstruction with Gaussian Avatars")
    for query in ["talking heads", "reconstructing", "reconstructions", "gaussian avatar", "Reconstructio",
                  "talking hea"]:
        assert search.search(query) == [paper.pk], query
    assert search.search("reconstructing avatars nothing-like-this") == []
    assert search.search("talking synthesis") == [], "a short last word is a prefix as typed, not cut to three letters"


def test_an_arxiv_id_goes_straight_to_its_paper_if_public(client, topic, publisher):
    paper = published_paper(topic, publisher, 1)
    for query in [paper.arxiv_id, f"{paper.arxiv_id}v1", f"arXiv:{paper.arxiv_id}v3", f" {paper.arxiv_id} "]:
        response = client.get("/search/", {"q": query})
        assert response.status_code == 302 and response["Location"] == paper.get_absolute_url(), query
    draft = paper_in_review(topic, 2)
    response = client.get("/search/", {"q": draft.arxiv_id})
    assert response.status_code == 200 and draft.title not in response.content.decode()


def test_the_query_and_the_filters_have_visible_labels(client, db):
    page = client.get("/search/").content.decode()
    assert re.search(r'<label>Words, authors or an arXiv id <input type="search" name="q"', page)
    assert re.search(r'<label>Topic <select name="topic">', page)
    assert re.search(r'<label>Published from <input type="date" name="from"', page)
    assert re.search(r'<label>to <input type="date" name="to"', page)


def test_each_result_shows_where_it_matched_with_the_words_marked(client, topic, publisher):
    abstract = ("Audio-driven portraits drift over long clips. We present Talking Heads that stay <stable>, "
                "reconstructing each frame from a memory of past motion, and report 18% lower FVD.")
    published_paper(topic, publisher, 1, title="A memory for talking heads", abstract=abstract)
    page = client.get("/search/?q=talking+head+reconstruction").content.decode()
    [snippet] = re.findall(r'<p class="snippet"[^>]*>(.*?)</p>', page, re.S)
    assert "<mark>Talking</mark> <mark>Heads</mark>" in snippet and "<mark>reconstructing</mark>" in snippet
    assert "&lt;stable&gt;" in snippet, "the paper's text is escaped; only the marks are HTML"
    chinese = published_paper(topic, publisher, 2, title="音频驱动的数字人", abstract="本文提出一种音频驱动的数字人生成方法。")
    page = client.get("/search/?q=数字人").content.decode()
    assert "<mark>数字人</mark>" in page and chinese.title in page


def test_a_long_abstract_is_cut_around_its_first_match_at_word_edges():
    text = " ".join(f"word{n}" for n in range(200)) + " gaussian splatting " + " ".join(f"tail{n}" for n in range(200))
    snippet = snippets.snippet(text, "splatting")
    assert snippet.startswith("… ") and snippet.endswith(" …") and "<mark>splatting</mark>" in snippet
    assert len(snippet) < 400
    words = snippet.removeprefix("… ").removesuffix(" …").split()
    assert all(w in text.split() or w.startswith("<mark>") for w in words), "no word cut in half"
    assert snippets.snippet("no match here", "splatting") == "" and snippets.snippet(text, "!!") == ""


def test_short_and_common_words_mark_only_themselves():
    text = "An approach animates avatars from audio with a GAN; two GANs and the models agree on the faces."
    marked = re.findall(r"<mark>(.*?)</mark>", snippets.snippet(text, "a gan models"))
    assert marked == ["GAN", "GANs", "models"], "not 'An', 'approach', 'avatars' nor the stop word 'a'"
    assert re.findall(r"<mark>(.*?)</mark>", snippets.snippet(text, "the")) == ["the", "the"], \
        "a query of common words alone still marks them"


def test_a_snippet_finds_its_word_in_chinese_text_without_spaces_and_with_accents_folded():
    chinese = "本文" * 60 + "扩散模型" + "的方法" * 40 + " GAN 结果"
    assert "<mark>扩散</mark>模型" in snippets.snippet(chinese, "扩散")
    assert re.findall(r"<mark>(.*?)</mark>", snippets.snippet(chinese, "扩散 the")) == ["扩散"], \
        "a common word beside a Chinese one is not marked"
    accented = "Scores use the Fréchet distance, as in Pérez et al."
    assert re.findall(r"<mark>(.*?)</mark>", snippets.snippet(accented, "frechet perez")) == ["Fréchet", "Pérez"]
    assert re.findall(r"<mark>(.*?)</mark>", snippets.snippet("A naïve baseline.", "NAÏVE")) == ["naïve"]


def test_a_snippet_shows_its_formulas_whole_as_mathml():
    text = "word " * 40 + r"We sort in $\mathcal{O}(n \log n)$ time and splat " + "tail " * 60
    snippet = snippets.snippet(text, "splat")
    assert "<math" in snippet and r"\mathcal" not in snippet and "<mark>splat</mark>" in snippet
    # A formula the passage's start would cut in half is shown whole.
    cut = snippets.snippet(r"Costs $\mathcal{O}(" + "n " * 45 + r")$ then " + "x " * 10 + "splat", "splat")
    assert cut.count("<math") == 1 and "$" not in cut
    # ...and so is one its end would cut.
    cut = snippets.snippet("splat " + "x " * 80 + r"then $\mathcal{O}(" + "n " * 45 + r")$ costs " + "y " * 80, "splat")
    assert cut.count("<math") == 1 and "$" not in cut and cut.endswith(" …")
    # A word inside a formula's source is not where the passage is: the first one readers can see is.
    text = r"With $\alpha = 0.5$ fixed, " + "x " * 100 + "alpha blending mixes the layers."
    assert "<mark>alpha</mark> blending" in snippets.snippet(text, "alpha")


def test_results_come_twenty_to_a_page_with_a_link_to_the_next(client, topic, db):
    seed_papers(45, topic=topic)
    first = client.get("/search/?q=avatar").content.decode()
    assert first.count('<li><a href="/paper/') == 20 and "Results 1–20" in first
    assert 'href="?q=avatar&amp;page=2" rel="next"' in first and 'rel="prev"' not in first
    third = client.get("/search/?q=avatar&page=3").content.decode()
    assert third.count('<li><a href="/paper/') == 5 and "Results 41–45" in third and 'rel="next"' not in third
    pages = [client.get(f"/search/?q=avatar&page={n}").content.decode() for n in (1, 2, 3)]
    shown = [re.findall(r'<li><a href="(/paper/[^"]+)"', page) for page in pages]
    assert len({url for urls in shown for url in urls}) == 45, "each result on one page only"
    for odd in ("0", "-1", "x", "²", "99999999999999999999999"):
        assert client.get(f"/search/?q=avatar&page={odd}").status_code == 200, odd


def test_the_other_pages_keep_the_query_and_its_filters(client, topic, db):
    papers = seed_papers(25, topic=topic)
    start, end = min(p.published_on for p in papers).isoformat(), max(p.published_on for p in papers).isoformat()
    first = client.get(f"/search/?q=avatar+%26+head&topic={topic.slug}&from={start}&to={end}").content.decode()
    following = re.search(r'href="\?([^"]+)" rel="next"', first).group(1)
    assert following == f"q=avatar+%26+head&amp;topic={topic.slug}&amp;from={start}&amp;to={end}&amp;page=2"
    second = client.get("/search/?" + html.unescape(following)).content.decode()
    assert re.search(r'href="\?([^"]+)" rel="prev"', second).group(1) == following.replace("page=2", "page=1")
    assert 'href="?q=avatar&amp;page=2"' in client.get("/search/?q=avatar&topic=&from=&to=").content.decode()


def test_a_query_matching_more_than_the_window_ranks_its_newest_matches_and_says_so(client, topic, db, monkeypatch):
    monkeypatch.setattr(search, "WINDOW", 3)
    papers = seed_papers(5, topic=topic)
    for paper in papers:
        Publication.objects.filter(paper=paper).update(title="Zebra")
        search.index_paper(Paper.objects.published().get(pk=paper.pk))
    # The newest paper matches only as a prefix ("zebra*"): the words as typed fill the window without it.
    Publication.objects.filter(paper=papers[-1]).update(title="Zebrafish")
    search.index_paper(Paper.objects.published().get(pk=papers[-1].pk))
    newest = sorted(p.pk for p in papers[:-1])[-3:]
    assert sorted(search.search("zebra")) == newest
    monkeypatch.setattr(search, "WINDOW", 10)
    assert papers[-1].pk in search.search("zebra"), "with room in the window, the prefix finds it"
    monkeypatch.setattr(search, "WINDOW", 3)
    page = client.get("/search/?q=zebra").content.decode()
    assert page.count('<li><a href="/paper/') == 3 and "Only the 3 most recent matches are ranked" in page
    # A filter applies before the window: a topic's older matches are still found.
    older = Topic.objects.create(name="Older", slug="older", query="ti:zebra")
    for paper in papers[:2]:
        paper.topics.add(older)
    assert sorted(search.search("zebra", topic=older)) == sorted(p.pk for p in papers[:2])
    assert "most recent matches" not in client.get("/search/?q=zebra&topic=older").content.decode()


def empty_index():
    """A flush does not empty the index's tables: a test that counts their rows or segments starts here."""
    with connection.cursor() as cursor:
        for table in search.tables():
            cursor.execute(f"DELETE FROM {table}")
    search.optimize()


def segments():
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(DISTINCT segid) FROM papers_fts_idx")
        return cursor.fetchone()[0]


@only_on_sqlite  # FTS5's own tables; PostgreSQL's GIN index needs no merge
def test_the_daily_merge_leaves_the_index_one_segment_finding_the_same_papers(topic, publisher):
    # From an empty index: FTS5 merges every segment by itself when the 16th is written (crisismerge), and
    # segments earlier transactional tests left could make these three one.
    empty_index()
    for n in (1, 2, 3):
        published_paper(topic, publisher, n)  # each publication writes a segment of its own
    found = search.search("avatar")
    assert segments() > 1 and found
    assert tasks.optimize_search() == "search index merged"
    assert segments() == 1
    assert search.search("avatar") == found


def test_a_search_without_results_loads_no_paper(client, site, django_assert_num_queries):
    with django_assert_num_queries(1):  # the topics of the filter, kept for the next pages
        client.get("/search/")
    # Ranking the words as typed, then with the last as a prefix: among the newest papers, then in the whole index.
    with django_assert_num_queries(2 * len(search.tables())):
        client.get("/search/?q=zzzqqqxxx")


def test_the_topic_filter_lists_a_topic_once_it_has_something_public(client, site, publisher):
    newer = Topic.objects.create(name="Brand new topic", slug="brand-new", query="all:new")
    assert "Brand new topic" not in client.get("/search/").content.decode()
    published_paper(newer, publisher, 7)
    page = client.get("/search/?topic=brand-new").content.decode()
    assert '<option value="brand-new" selected>Brand new topic</option>' in page
    assert f'<option value="{site["topic"].slug}" >' in page


def recent_rows():
    with connection.cursor() as cursor:
        cursor.execute("SELECT rowid FROM papers_fts_recent ORDER BY rowid")
        return [row[0] for row in cursor.fetchall()]


@only_on_sqlite  # PostgreSQL's ts_rank needs no word counts, and has one table
def test_a_common_query_is_ranked_among_the_newest_papers_alone_finding_what_the_whole_index_would(
        topic, db, monkeypatch):
    monkeypatch.setattr(search, "RECENT", 4)
    monkeypatch.setattr(search, "WINDOW", 3)
    empty_index()
    papers = sorted(p.pk for p in seed_papers(8, topic=topic))
    search.optimize()
    assert recent_rows() == papers[-4:]
    with CaptureQueriesContext(connection) as queries:
        found = search.search("avatar")
    assert sorted(found) == papers[-3:], "the window: the newest three matches"
    ranking = [q["sql"] for q in queries if "bm25" in q["sql"]]
    assert len(ranking) == 1 and "FROM papers_fts_recent(" in ranking[0]
    # Fewer matches there than a window: the whole index ranks it, and finds the older papers too.
    Publication.objects.filter(paper_id__in=papers[:2] + papers[-1:]).update(title="Okapi okapi")
    for pk in papers[:2] + papers[-1:]:
        search.index_paper(Paper.objects.get(pk=pk))
    assert sorted(search.search("okapi")) == papers[:2] + papers[-1:]


@only_on_sqlite
def test_the_newest_papers_index_holds_every_row_from_its_oldest_up_whatever_is_published_or_withdrawn(
        topic, db, monkeypatch):
    monkeypatch.setattr(search, "RECENT", 3)
    empty_index()
    papers = sorted(p.pk for p in seed_papers(6, topic=topic))
    search.optimize()
    assert recent_rows() == papers[-3:]
    search.index_paper(Paper.objects.get(pk=papers[-3]))  # its oldest, indexed again, stays
    assert recent_rows() == papers[-3:]
    search.remove_paper(papers[-2])
    search.index_paper(Paper.objects.get(pk=papers[-2]))  # published again: as new as the oldest there
    search.index_paper(Paper.objects.get(pk=papers[0]))  # older: the whole index only
    assert recent_rows() == papers[-3:]
    for pk in papers[-3:]:
        search.remove_paper(pk)
    assert recent_rows() == []
    # Emptied, it is filled again with the newest papers, the one indexed now among them or not.
    search.index_paper(Paper.objects.get(pk=papers[0]))
    assert recent_rows() == papers[:3]
    search.optimize()  # the daily merge leaves it at RECENT rows, older ones dropped
    for pk in papers[-3:]:
        search.index_paper(Paper.objects.get(pk=pk))
    assert recent_rows() == papers[:3] + papers[-3:]
    searches = caching.versions(["search"])
    with TestCase.captureOnCommitCallbacks(execute=True):
        search.optimize()
    assert recent_rows() == papers[-3:]
    assert index_rows() == papers
    assert caching.versions(["search"]) != searches, "a query may be ranked in the other table now"
    # A paper unpublished without the index knowing (a restored backup): reindexing drops it from both, and the
    # newest papers are the newest RECENT again.
    Paper.objects.filter(pk=papers[-1]).update(status=Paper.Status.UNPUBLISHED, published_at=None)
    search.reindex_all()
    assert (index_rows(), recent_rows()) == (papers[:-1], papers[-4:-1])
