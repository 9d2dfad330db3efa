"""Full-text search over published papers, behind one function: search().

Both databases keep a table `papers_fts` a row per published paper, written when it is
published and ranked title first, then authors, abstract and published text: on SQLite
(the embedded default) an FTS5 table ranked by bm25, on PostgreSQL a GIN-indexed
weighted tsvector ranked by ts_rank (both made by migrations 0005 and 0009). Both stem
English ("heads" finds "Head", "reconstructing" finds "Reconstruction": FTS5's porter
tokenizer, PostgreSQL's 'english' configuration; migration 0016), and the last word of a
query also matches as a prefix, so a word typed a letter or two short still finds. Neither
tokenizer splits Chinese into words, so Chinese text is indexed and queried as
overlapping character bigrams ("音频驱动" -> "音频 频驱 驱动"): a query matches
where all its bigrams occur, which finds two-character words and longer phrases.

On SQLite the newest RECENT papers are indexed a second time, on their own, in `papers_fts_recent`: bm25 weighs
each query word by how many papers have it, and FTS5 counts them by reading every entry of the word in the table
it ranks in. A query with a window's worth of matches among the newest papers is ranked there, at the same cost
whatever the size of the site; only rarer queries, whose entries are few, read the whole index.
"""

import re
import unicodedata

from django.db import connection, transaction
from django.db.models.expressions import RawSQL

from ..models import Paper, Section
from ..stopwords import STOPWORDS
from . import caching

CJK_RUN_RE = re.compile(r"[\u4e00-\u9fff]+")
TOKEN_RE = re.compile(r"\w+")
WEIGHTS = (10.0, 5.0, 2.0, 1.0)  # title, authors, abstract, body
# The most recently fetched matches are ranked: 25 pages of 20. bm25 costs about 1.5 µs a match at 10,000
# papers: ranking 1,000 took a common pair of words 3 ms of an uncached page's 10.
WINDOW = 500
# Ten windows: a query ranked there matches at least one paper in ten, and a word that common has a rarity
# (bm25's IDF) the newest 5,000 papers measure as well as all of them. (At 100,000 papers, counting a word
# every paper has took 5 ms of a 12 ms page.)
RECENT = 5000
COPY = "(rowid, title, authors, abstract, body) SELECT rowid, title, authors, abstract, body FROM papers_fts"


def bigrams(text):
    def split(match):
        run = match.group()
        if len(run) == 1:
            return f" {run} "
        return " " + " ".join(run[i:i + 2] for i in range(len(run) - 1)) + " "

    return CJK_RUN_RE.sub(split, text or "")


def fold(text):
    """The text without accents ("Pérez" -> "Perez"): SQLite's tokenizer folds them itself (remove_diacritics),
    PostgreSQL's 'english' configuration does not, so both index and query go through here."""
    bare = "".join(c for c in unicodedata.normalize("NFD", text or "") if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", bare)


def document(paper):
    """What search reads of a published paper: what readers see of it."""
    body = "\n".join(Section.objects.filter(paper=paper, public=True).values_list("published_body", flat=True))
    return {
        "title": bigrams(fold(paper.publication.title)),
        "authors": fold(" ".join(paper.publication.authors)),
        "abstract": bigrams(fold(paper.publication.abstract)),
        "body": bigrams(fold(body)),
    }


def index_paper(paper):
    """(Re)index a paper; unpublished papers are removed from the index."""
    with transaction.atomic():
        oldest = _oldest_recent() if connection.vendor == "sqlite" else None  # read first: it may be this paper
        remove_paper(paper.pk)
        if not Paper.objects.published().filter(pk=paper.pk).exists():
            return
        values = [paper.pk, *document(paper).values()]
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                cursor.execute(
                    "INSERT INTO papers_fts (rowid, title, authors, abstract, body) VALUES (%s, %s, %s, %s, %s)",
                    values,
                )
                _index_recent(cursor, paper.pk, oldest)
            else:
                cursor.execute(
                    "INSERT INTO papers_fts (rowid, document) VALUES (%s, "
                    "setweight(to_tsvector('english', %s), 'A') || setweight(to_tsvector('english', %s), 'B') || "
                    "setweight(to_tsvector('english', %s), 'C') || setweight(to_tsvector('english', %s), 'D')) "
                    "ON CONFLICT (rowid) DO UPDATE SET document = EXCLUDED.document",
                    values,
                )


def _oldest_recent():
    with connection.cursor() as cursor:
        cursor.execute("SELECT MIN(rowid) FROM papers_fts_recent")
        return cursor.fetchone()[0]


def _index_recent(cursor, rowid, oldest):
    """Copy a row just indexed into papers_fts_recent if it is as new as the `oldest` there. What holds
    throughout: every row of papers_fts from the oldest of papers_fts_recent up is in papers_fts_recent, so the
    newest matches of a query there are its newest matches on the whole site."""
    if oldest is None:  # empty: the newest RECENT papers, whose oldest may be older than this one
        _refill_recent(cursor)
    elif rowid >= oldest:
        cursor.execute(f"INSERT INTO papers_fts_recent {COPY} WHERE rowid = %s", [rowid])


def _refill_recent(cursor):
    """Write papers_fts_recent again as the newest RECENT rows of papers_fts: it gains a day's publications
    until the daily optimize() comes here. All of it, not only what is missing, so that rows a process running
    the code of before migration 0020 wrote to papers_fts alone are right here by the next day."""
    cursor.execute("DELETE FROM papers_fts_recent")
    cursor.execute(f"INSERT INTO papers_fts_recent {COPY} ORDER BY rowid DESC LIMIT %s", [RECENT])


def reindex_all():
    """Write every published paper's index row again and drop any other row; returns how many papers."""
    count = 0
    for paper in Paper.objects.published().iterator():
        index_paper(paper)
        count += 1
    published, params = Paper.objects.published().order_by().values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        for table in tables():
            cursor.execute(f"DELETE FROM {table} WHERE rowid NOT IN ({published})", params)
    optimize()
    return count


def optimize():
    """Bring papers_fts_recent back to the newest RECENT papers and merge both tables into one segment each
    (SQLite's FTS5; PostgreSQL's autovacuum keeps its GIN index). Every publication adds a segment and FTS5
    merges only some as it goes, and ranking reads every segment's entries of a word: at 100,000 papers a
    common word's ranking took 9.8 ms unmerged, 5.9 ms merged (0.8 s to merge)."""
    if connection.vendor == "sqlite":
        with transaction.atomic(), connection.cursor() as cursor:
            _refill_recent(cursor)
            for table in tables():
                cursor.execute(f"INSERT INTO {table}({table}) VALUES('optimize')")
            # A query may now be ranked in the other table, with its words weighed over other papers: pages
            # of results cached before and after would not follow on.
            transaction.on_commit(lambda: caching.changed(["search"]))


def tables():
    """The index's tables, in the order search tries them. PostgreSQL's ts_rank does not weigh words by their
    rarity: it has one table."""
    return ("papers_fts_recent", "papers_fts") if connection.vendor == "sqlite" else ("papers_fts",)


def remove_paper(paper_id):
    with connection.cursor() as cursor:
        for table in tables():
            cursor.execute(f"DELETE FROM {table} WHERE rowid = %s", [paper_id])


def terms(query):
    return [t for t in TOKEN_RE.findall(bigrams(fold(query)).lower()) if t]


def search(query, topic=None, date_from=None, date_to=None, limit=50, exclude=None, any_term=False, offset=0):
    """The ids of the published papers matching `query`, best first: `limit` of them after the first `offset`.
    Ids, not papers: each page loads only what it shows of them."""
    words = terms(query)
    if not words:
        return []
    papers = Paper.objects.published()
    if topic:
        papers = papers.filter(topics=topic)
    if date_from:
        papers = papers.filter(published_on__gte=date_from)
    if date_to:
        papers = papers.filter(published_on__lte=date_to)
    if exclude:
        papers = papers.exclude(pk=exclude)
    # The filters (published(), topic, dates) run inside the query, as a condition on each match, so a filtered
    # search ranks the matches in the filter, a page holds as many papers as it says, and only the papers shown
    # are loaded. (The index alone is no filter: a restored database or a test's flush can leave rows of papers
    # that are not public.)
    allowed, params = papers.filter(pk=RawSQL("papers_fts.rowid", ())).order_by().values("pk").query.sql_with_params()
    # The last word, a Latin word of three letters or more (not a Chinese bigram), may be typed short: it also
    # matches as a prefix. A long one less its last three letters, since the index holds stems ("reconstructio"
    # is no prefix of "reconstruct"); a short one as typed ("sync" is not "syn*"). A prefix costs every word it
    # begins, so it is tried only where the words as typed fill fewer than the window.
    last = words[-1]
    short = None
    if not any_term and len(last) >= 3 and last.isascii():
        short = last if len(last) <= 6 else last[:len(last) - 3]
    for prefix in ([None, short] if short else [None]):
        for table in tables():
            ranked, matched = _ranked(table, words, prefix, any_term, allowed, params, limit, offset)
            if matched >= WINDOW:
                return ranked
    return ranked


def _ranked(table, words, prefix, any_term, allowed, params, limit, offset):
    """The ids of one page of matches in `table`, best first, and how many matches were ranked: at most WINDOW,
    the most recently fetched (the highest ids; SQLite's index yields them in that order and stops there,
    PostgreSQL sorts the matches' ids), as ranking every match would make a common word's search as slow as the
    site is large."""
    if connection.vendor == "sqlite":
        quoted = [f'"{w}"' for w in words]
        if prefix:
            quoted[-1] = f'({quoted[-1]} OR "{prefix}"*)'
        match = (" OR " if any_term else " AND ").join(quoted)
        # Named papers_fts whichever table it is, as `allowed` refers to papers_fts.rowid.
        sql = (f"SELECT rowid, COUNT(*) OVER () FROM (SELECT rowid, bm25({table}, {', '.join(map(str, WEIGHTS))}) "
               f"AS score FROM {table}(%s) AS papers_fts WHERE EXISTS ({allowed}) ORDER BY rowid DESC "
               "LIMIT %s) ORDER BY score, rowid DESC LIMIT %s OFFSET %s")
        arguments = [match, *params, WINDOW, limit, offset]
    else:
        words = [re.sub(r"\W", "", w) for w in words]
        if prefix:
            words[-1] = f"({words[-1]} | {prefix}:*)"
        match = (" | " if any_term else " & ").join(words)
        # Stemmed ('english', as rows are written now) or as typed ('simple', rows written before migration 0016).
        query = "(to_tsquery('english', %s) || to_tsquery('simple', %s))"
        # ts_rank's weights are listed D, C, B, A: body, abstract, authors, title.
        sql = (f"SELECT rowid, COUNT(*) OVER () FROM (SELECT rowid, ts_rank('{{0.1, 0.2, 0.5, 1.0}}', document, "
               f"{query}) AS score FROM papers_fts WHERE document @@ {query} AND EXISTS ({allowed}) "
               "ORDER BY rowid DESC LIMIT %s) AS newest ORDER BY score DESC, rowid DESC LIMIT %s OFFSET %s")
        arguments = [match, match, match, match, *params, WINDOW, limit, offset]
    with connection.cursor() as cursor:
        cursor.execute(sql, arguments)
        rows = cursor.fetchall()
    return [row[0] for row in rows], rows[0][1] if rows else 0


def shown(ids):
    """What a result shows of each of `ids`, which search() found (with published() in its ranking query): a
    dict id -> (arXiv id, language, publication day, title, abstract, one-line summary, its language).

    One plain query, as a query of the same joins through the ORM cost 1.7 ms of a 7.5 ms results page to build.
    It needs no published() of its own: a paper withdrawn since search() ranked it has no Publication any more
    (lifecycle's unpublish and reject delete it), and the inner join drops it."""
    if not ids:
        return {}
    sql = (
        "SELECT p.id, p.arxiv_id, p.language, p.published_on, pub.title, pub.abstract, s.published_body, g.language "
        "FROM papers_paper p JOIN papers_publication pub ON pub.paper_id = p.id "
        "LEFT JOIN papers_section s ON s.paper_id = p.id AND s.kind = %s AND s.public = %s "
        "LEFT JOIN papers_generation g ON g.id = s.generation_id "
        f"WHERE p.id IN ({', '.join(['%s'] * len(ids))})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [Section.Kind.SUMMARY, True, *ids])
        return {row[0]: row[1:] for row in cursor.fetchall()}


RELATED_TERMS = 10  # an OR of every word of a title and abstract costs as much as all the papers it matches


def related(paper, limit=5):
    """Published papers whose text is most like this one's: the longest words of its title, then its abstract
    (the longer a word, the rarer and more telling)."""
    public = paper.publication
    title = [w for w in dict.fromkeys(terms(public.title)) if w not in STOPWORDS]
    abstract = [w for w in dict.fromkeys(terms(public.abstract[:300])) if w not in STOPWORDS and w not in title]
    words = (sorted(title, key=len, reverse=True) + sorted(abstract, key=len, reverse=True))[:RELATED_TERMS]
    return search(" ".join(words), exclude=paper.pk, limit=limit, any_term=True)
