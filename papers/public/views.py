"""The public site: digests by topic and day, papers, listings and search.

Every query of papers starts from Paper.objects.published(), so nothing unpublished can
reach a page or a link; the days listed and counted are TopicDay rows, which
papers.public.surfaces counts from published() whenever what is public changes. Each
page runs a fixed number of queries, none over every paper, whatever the size of the
database, and is cached for anonymous readers until what it shows changes
(papers/public/caching.py).
"""

import datetime
import functools
import html
import re
from collections import defaultdict
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import SuspiciousFileOperation
from django.core.paginator import Paginator
from django.db.models import OuterRef, Q, Subquery
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils._os import safe_join
from django.utils.html import format_html, strip_tags
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.text import Truncator
from django.utils.translation import check_for_language

from ..editorial import roles
from ..identifiers import ARXIV_ID
from ..models import Figure, Paper, Topic, TopicDay
from . import search as search_index
from . import snippets, surfaces
from .caching import cached_public, cached_value, day_tag
from .rendering import render_markdown, render_text

ARXIV_QUERY_RE = re.compile(rf"(?:arxiv:\s*)?(?P<id>{ARXIV_ID})(?:v\d+)?", re.I)

DAYS_PER_PAGE = 20
SEARCH_PER_PAGE = 20  # rendering a result costs more than finding it: a page of 20, not 50
PAPERS_PER_PAGE = 30
HOME_PAPERS_PER_TOPIC = 10
RELATED_CACHE_SECONDS = 24 * 3600


def sections_by_kind(paper):
    return {s.kind: s for s in paper.public_sections}


@cached_public(lambda: ["home"])
def home(request):
    """The latest digest of each topic."""
    latest = TopicDay.objects.filter(topic=OuterRef("pk")).order_by("-day")
    # Every topic with something published, fetching or not: an imported topic's digests are public too.
    topics = list(Topic.objects.annotate(latest_day=Subquery(latest.values("day")[:1]),
                                         paper_count=Subquery(latest.values("papers")[:1]))
                  .filter(latest_day__isnull=False))
    pairs = Q(pk__in=[])
    for topic in topics:
        pairs |= Q(topics=topic, published_on=topic.latest_day)
    by_topic = defaultdict(list)
    wanted = {t.pk: t.latest_day for t in topics}
    for paper in Paper.objects.published().with_public_parts(figures=False).filter(pairs).prefetch_related("topics").order_by("-published_at", "-pk"):
        for topic in paper.topics.all():
            if wanted.get(topic.pk) == paper.published_on and len(by_topic[topic.pk]) < HOME_PAPERS_PER_TOPIC:
                by_topic[topic.pk].append(paper)
    digests = [(t, by_topic[t.pk]) for t in sorted(topics, key=lambda t: (-t.latest_day.toordinal(), t.name))]
    return render(request, "papers/home.html", {"digests": digests})


@cached_public(lambda slug: [f"topic:{slug}"])
def topic_days(request, slug):
    topic = get_object_or_404(Topic, slug=slug)
    page = Paginator(topic.days.all(), DAYS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "papers/topic.html", {"topic": topic, "page": page})


@cached_public(lambda slug, day: [day_tag(slug, day)])
def day_digest(request, slug, day):
    topic = get_object_or_404(Topic, slug=slug)
    try:
        day = datetime.date.fromisoformat(day)
    except ValueError:
        raise Http404("not a date") from None
    # Newest first, as on the home page and in the feeds.
    papers = list(Paper.objects.published().with_public_parts().filter(topics=topic, published_on=day)
                  .order_by("-published_at", "-pk"))
    if not papers:
        raise Http404("no digest for this day")
    previous, following = topic.days.around(day)
    for paper in papers:
        paper.by_kind = sections_by_kind(paper)
    return render(request, "papers/day.html", {
        "topic": topic, "day": day, "papers": papers, "previous": previous, "following": following,
    })


@cached_public(lambda arxiv_id: [f"paper:{arxiv_id}", "related"])
def paper_detail(request, arxiv_id):
    paper = get_object_or_404(Paper.objects.published().with_public_parts().prefetch_related("topics"), arxiv_id=arxiv_id)
    sections = paper.public_sections
    reviewed = max((s.reviewed_at for s in sections if s.reviewed_at), default=None)
    # The credit says who wrote what readers get: a section an editor rewrote is no longer the summarizer's
    # quotation, and the credit says it was edited.
    credits = []
    for generation in sorted({s.generation for s in sections}, key=lambda g: g.created_at):
        own = [s for s in sections if s.generation_id == generation.pk]
        credits.append({"generation": generation,
                        "quoted": generation.backend == "extractive" and any(s.published_body == s.generated for s in own)})
    return render(request, "papers/paper.html", {
        "paper": paper,
        "sections": sections,
        "figures": paper.public_figures,
        "credits": credits,
        "edited": any(s.published_body != s.generated for s in sections),
        "reviewed_at": reviewed,
        "bibtex": bibtex(paper),
        "related": related_papers(paper),
        "share": share_card(request, paper),
        # The way back: the paper's first topic (by name) and the day it was published there.
        "crumb": min(paper.topics.all(), key=lambda topic: topic.name, default=None),
    })


def share_card(request, paper):
    """What a link to the paper shows where it is shared (OpenGraph, Twitter cards): the one-line summary as
    plain text, the lead figure where its licence lets it be public."""
    summary = next((s.published_body for s in paper.public_sections if s.kind == "summary"), "")
    lead = next(iter(paper.public_figures), None)
    return {
        "url": request.build_absolute_uri(paper.get_absolute_url()),
        # Plain text, escaped once by the template: strip_tags leaves entities such as &amp; in place.
        "description": Truncator(html.unescape(strip_tags(render_markdown(summary)))).chars(300),
        "image": request.build_absolute_uri(settings.MEDIA_URL + (lead.fallback or lead.image)) if lead else "",
    }


def related_papers(paper):
    """Ranking every paper against this one costs ~100 ms at 10,000 papers: do it once a day per paper."""
    ids = cache.get_or_set(surfaces.related_key(paper.pk), lambda: search_index.related(paper),
                           RELATED_CACHE_SECONDS)
    found = Paper.objects.published().select_related("publication").in_bulk(ids)
    return [found[pk] for pk in ids if pk in found]


@cached_public(lambda name: ["listings"])
def category(request, name):
    papers = Paper.objects.published().with_public_parts(figures=False).filter(publication__categories__icontains=f'"{name}"').order_by("-published_at", "-pk")
    page = Paginator(papers, PAPERS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "papers/listing.html", {"heading": name, "kind": "category", "page": page})


@cached_public(lambda name: ["listings"])
def author(request, name):
    papers = Paper.objects.published().with_public_parts(figures=False).filter(publication__authors_index__contains=f"\n{name}\n").order_by("-published_at", "-pk")
    page = Paginator(papers, PAPERS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "papers/listing.html", {"heading": name, "kind": "author", "page": page})


@cached_public(lambda: ["search"])
def search(request):
    query = request.GET.get("q", "").strip()[:200]
    # An arXiv id, with or without its version (or "arXiv:"), goes straight to its paper where it is public.
    wanted = ARXIV_QUERY_RE.fullmatch(query)
    if wanted:
        paper = Paper.objects.published().filter(arxiv_id=wanted["id"]).first()
        if paper:
            return HttpResponseRedirect(paper.get_absolute_url())
    topic = Topic.objects.filter(slug=request.GET.get("topic")).first() if request.GET.get("topic") else None
    date_from, date_to = parse_date(request.GET.get("from")), parse_date(request.GET.get("to"))
    page = request.GET.get("page", "")
    number = min(int(page), 1000) if page.isascii() and page.isdigit() and int(page) > 0 else 1
    ids = []
    if query:
        # One more than a page says whether there is a next one.
        ids = search_index.search(query, topic=topic, date_from=date_from, date_to=date_to,
                                  limit=SEARCH_PER_PAGE + 1, offset=(number - 1) * SEARCH_PER_PAGE)
    following = len(ids) > SEARCH_PER_PAGE
    results = search_results(ids[:SEARCH_PER_PAGE], query)
    # The last page of a query that filled the ranked window: older matches exist that no page reaches.
    window = search_index.WINDOW if not following and (number - 1) * SEARCH_PER_PAGE + len(results) == search_index.WINDOW else None
    shown_from = (number - 1) * SEARCH_PER_PAGE + 1
    # What the links to the other pages keep of this one.
    kept = {"q": query, "topic": topic.slug if topic else "", "from": date_from or "", "to": date_to or ""}
    return render(request, "papers/search.html", {
        "filters": urlencode({name: value for name, value in kept.items() if value}),
        "query": query, "results": results, "topics": filter_topics(),
        "topic": topic, "date_from": date_from, "date_to": date_to, "number": number,
        "following": following, "shown_from": shown_from, "shown_to": shown_from + len(results) - 1, "window": window,
    })


def filter_topics():
    """The search form's topics: those with something public, which only a publication or a withdrawal (both
    refresh the home page) or a change of topic (every page) can change."""
    return cached_value("search-topics", ["home"],
                        lambda: list(Topic.objects.with_published().values("slug", "name")))


def search_results(ids, query):
    """What a search result shows of each paper, in the order of `ids`: plain values in one query, not models,
    and HTML made here, not in the template (a page of results is rendered for every new query: building twenty
    papers with their publications and sections, then rendering them, cost more than finding them)."""
    found = search_index.shown(ids)
    results = []
    for arxiv_id, language, day, title, abstract, body, body_language in (found[pk] for pk in ids if pk in found):
        language, body_language = language or "en", body_language or "en"
        # Where it matched: the abstract, else the one-line summary, each in its own language.
        passage, passage_language = snippets.snippet(abstract, query), language
        if not passage:
            passage, passage_language = snippets.snippet(body, query), body_language
        results.append({
            "heading": result_heading(arxiv_id, language, title, day),
            "snippet": passage, "snippet_language": passage_language,
            "summary": render_markdown(body) if body else "", "summary_language": body_language,
        })
    return results


@functools.lru_cache(maxsize=4096)
def result_heading(arxiv_id, language, title, day):
    """A result's link and date, the same whatever the query (and in every language): made once per process."""
    return format_html('<a href="{}" lang="{}">{}</a>\n      <span class="meta">{}</span>',
                       reverse("papers:paper", args=[arxiv_id]), language, render_text(title), day.isoformat())


def set_language(request, code):
    """Switch the interface language by a plain link (no form: cached pages carry no CSRF token)."""
    following = request.GET.get("next", "/")
    if not url_has_allowed_host_and_scheme(following, allowed_hosts={request.get_host()}):
        following = "/"
    response = HttpResponseRedirect(following)
    if check_for_language(code):
        response.set_cookie("django_language", code, max_age=365 * 24 * 3600, samesite="Lax")
    return response


def source(request):
    return render(request, "papers/source.html")


def parse_date(value):
    try:
        return datetime.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def bibtex(paper):
    arxiv_id, paper = paper.arxiv_id, paper.publication

    def clean(text):
        return text.replace("{", "").replace("}", "").replace("\\", "")

    key = f"{(paper.authors[0].split()[-1] if paper.authors else 'arxiv').lower()}{paper.arxiv_published.year if paper.arxiv_published else ''}"
    key = "".join(c for c in key if c.isalnum()) + arxiv_id.replace("/", "").replace(".", "")[-5:]
    fields = [
        ("title", f"{{{clean(paper.title)}}}"),
        ("author", " and ".join(clean(a) for a in paper.authors)),
        ("year", str(paper.arxiv_published.year) if paper.arxiv_published else ""),
        ("eprint", arxiv_id),
        ("archivePrefix", "arXiv"),
        ("primaryClass", paper.primary_category),
        ("doi", paper.doi),
        ("url", f"https://arxiv.org/abs/{arxiv_id}"),
    ]
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields if value)
    return f"@misc{{{key},\n{body}\n}}"


def media(request, path):
    """A file under MEDIA_ROOT: a public figure's picture to anyone; anything else (PDFs, figures of drafts,
    of unpublished or rejected papers, of superseded versions) only to staff who review, never to readers."""
    public = Figure.objects.public().filter(Q(image=path) | Q(fallback=path) | Q(thumbnail=path)).exists()
    if not public and not request.user.has_perm(roles.REVIEW_PERM):
        raise Http404("No such file.")
    try:
        full = Path(safe_join(settings.MEDIA_ROOT, path))
    except SuspiciousFileOperation as exc:
        raise Http404("No such file.") from exc
    if not full.is_file():
        raise Http404("No such file.")
    response = FileResponse(full.open("rb"))
    response["Cache-Control"] = "public, max-age=86400" if public else "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def robots(request):
    """Crawlers may read the public site, not the admin, and find every public page in the sitemap."""
    sitemap = request.build_absolute_uri("/sitemap.xml")
    # /media/ stays open: shared links show a public figure, and the media view serves nothing else to anyone.
    return HttpResponse(f"User-agent: *\nDisallow: /admin/\nSitemap: {sitemap}\n",
                        content_type="text/plain; charset=utf-8")
