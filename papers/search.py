"""Full-text search over published papers, behind one function: search().

SQLite (the embedded default) uses an FTS5 table ranked by bm25, title first;
PostgreSQL uses its own full-text search over Paper.search_document. Neither
tokenizer splits Chinese into words, so Chinese text is indexed and queried as
overlapping character bigrams ("音频驱动" -> "音频 频驱 驱动"): a query matches
where all its bigrams occur, which finds two-character words and longer phrases.
"""

import re

from django.db import connection

from .models import Paper, Section
from .summarizers.extractive import STOPWORDS

CJK_RUN_RE = re.compile(r"[\u4e00-\u9fff]+")
TOKEN_RE = re.compile(r"\w+")
WEIGHTS = (10.0, 5.0, 2.0, 1.0)  # title, authors, abstract, body


def bigrams(text):
    def split(match):
        run = match.group()
        if len(run) == 1:
            return f" {run} "
        return " " + " ".join(run[i:i + 2] for i in range(len(run) - 1)) + " "

    return CJK_RUN_RE.sub(split, text or "")


def document(paper):
    body = "\n".join(Section.objects.filter(paper=paper, public=True).values_list("published_body", flat=True))
    return {
        "title": bigrams(paper.title),
        "authors": " ".join(paper.authors),
        "abstract": bigrams(paper.abstract),
        "body": bigrams(body),
    }


def index_paper(paper):
    """(Re)index a paper; unpublished papers are removed from the index."""
    if not Paper.objects.published().filter(pk=paper.pk).exists():
        remove_paper(paper.pk)
        return
    fields = document(paper)
    Paper.objects.filter(pk=paper.pk).update(search_document="\n".join(fields.values()))
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM papers_fts WHERE rowid = %s", [paper.pk])
            cursor.execute(
                "INSERT INTO papers_fts (rowid, title, authors, abstract, body) VALUES (%s, %s, %s, %s, %s)",
                [paper.pk, fields["title"], fields["authors"], fields["abstract"], fields["body"]],
            )


def remove_paper(paper_id):
    Paper.objects.filter(pk=paper_id).update(search_document="")
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM papers_fts WHERE rowid = %s", [paper_id])


def terms(query):
    return [t for t in TOKEN_RE.findall(bigrams(query).lower()) if t]


def search(query, topic=None, date_from=None, date_to=None, limit=50, exclude=None, any_term=False):
    """Published papers matching `query`, best first."""
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
    if connection.vendor == "sqlite":
        return _sqlite(papers, words, limit, any_term)
    return _postgres(papers, words, limit, any_term)


def _sqlite(papers, words, limit, any_term):
    match = (" OR " if any_term else " ").join(f'"{w}"' for w in words)
    # The filters (published(), topic, dates) run inside the ranking query, so only the
    # page shown is loaded: a common word ranks hundreds of papers.
    allowed, params = papers.order_by().values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT rowid FROM papers_fts WHERE papers_fts MATCH %s AND +rowid IN ({allowed}) "
            f"ORDER BY bm25(papers_fts, {', '.join(map(str, WEIGHTS))}) LIMIT %s",
            [match, *params, limit],
        )
        ranked = [row[0] for row in cursor.fetchall()]
    found = papers.in_bulk(ranked)
    return [found[pk] for pk in ranked if pk in found]


def _postgres(papers, words, limit, any_term):
    from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector

    query = SearchQuery(" | ".join(words) if any_term else " & ".join(words), search_type="raw", config="simple")
    vector = SearchVector("search_document", config="simple")
    # Filter with the @@ match operator: ts_rank alone can be positive for a partial match.
    return list(
        papers.annotate(document=vector, rank=SearchRank(vector, query)).filter(document=query)
        .order_by("-rank", "-published_at")[:limit]
    )


def related(paper, limit=5):
    """Published papers whose text is most like this one's title and abstract."""
    words = [w for w in terms(f"{paper.title} {paper.title} {paper.abstract[:300]}") if w not in STOPWORDS]
    return search(" ".join(dict.fromkeys(words)), exclude=paper.pk, limit=limit, any_term=True)
