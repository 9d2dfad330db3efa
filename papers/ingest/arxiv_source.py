"""Talking to arXiv: searching with the `arxiv` package and mapping results onto Papers.

Every request to arXiv (API pages and PDFs) goes through `ArxivSession`, which
waits its turn at the shared pacing point and always sets a timeout.
"""

import itertools
import logging
import re
from dataclasses import dataclass, field
from datetime import datetime

import arxiv
import requests
from arxiv import _feed
from django.conf import settings
from lxml import etree

from ..identifiers import is_arxiv_id
from . import pacing

log = logging.getLogger(__name__)

# arxiv.org/abs/2409.02634v2, arxiv.org/abs/quant-ph/9508027v2
ID_RE = re.compile(r"arxiv\.org/abs/(?P<id>.+?)(?:v(?P<version>\d+))?$")
URL_RE = re.compile(r"https?://[^\s<>()\[\]{}\"',;]+[^\s<>()\[\]{}\"',;.:!?]")
CODE_HOSTS = ("github.com", "gitlab.com", "huggingface.co", "bitbucket.org", "codeberg.org")
PACING_NAME = "arxiv"
# Older feeds link over plain http.
ARXIV_HTTP_RE = re.compile(r"^http://(?:export\.)?arxiv\.org/")
ATOM = {"atom": "http://www.w3.org/2005/Atom"}


class ArxivUnavailable(Exception):
    """arXiv did not answer usefully: an outage, a timeout or an error feed."""


class ArxivSession(requests.Session):
    def request(self, method, url, **kwargs):
        pacing.wait_turn(PACING_NAME, settings.ARXIV_DELAY_SECONDS)
        kwargs.setdefault("timeout", settings.ARXIV_TIMEOUT_SECONDS)
        response = super().request(method, url, **kwargs)
        if response.status_code == 400 and url.startswith(settings.ARXIV_API_URL):
            # The client would only report "HTTP 400" after retrying a query that
            # cannot succeed; arXiv's error feed says what is wrong with it.
            raise ArxivUnavailable(f"arXiv rejected the query: {error_message(response.content)}")
        return response


def error_message(content):
    return feed_error(content) or "HTTP 400"


def feed_error(content):
    """The message of arXiv's error feed (one entry with an /api/errors id), or "".

    The `arxiv` parser skips that entry (it has no <published>), so read it here.
    """
    parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=True)
    try:
        root = etree.fromstring(content, parser=parser)
    except etree.XMLSyntaxError:
        return ""
    if root is None:
        return ""
    messages = [
        normalize_space(entry.findtext("atom:summary", "", ATOM))
        for entry in root.iterfind("atom:entry", ATOM)
        if "/api/errors" in entry.findtext("atom:id", "", ATOM)
    ]
    return "; ".join(messages)


class ArxivClient(arxiv.Client):
    """The `arxiv` package's client, pointed at ARXIV_API_URL and paced by us."""

    def __init__(self, page_size=50):
        # Pacing is ours (shared by all workers), so the client's own delay is off.
        super().__init__(page_size=page_size, delay_seconds=0, num_retries=settings.ARXIV_NUM_RETRIES)
        self.query_url_format = settings.ARXIV_API_URL + "?{}"
        self._session = ArxivSession()


def session():
    return ArxivSession()


@dataclass
class PaperRecord:
    """The Paper fields that arXiv tells us, before they touch the database."""

    arxiv_id: str
    version: int
    title: str
    authors: list
    abstract: str
    comment: str
    journal_ref: str
    doi: str
    primary_category: str
    categories: list
    arxiv_published: datetime
    arxiv_updated: datetime
    abs_url: str
    pdf_url: str
    project_url: str = ""
    code_url: str = ""
    affiliations: dict = field(default_factory=dict)
    # The search API does not give it; the download step asks OAI-PMH (papers.oai).
    license: str = ""

    def fields(self):
        data = dict(self.__dict__)
        data.pop("arxiv_id")
        data.pop("affiliations")
        return data

    def as_json(self):
        data = dict(self.__dict__)
        for name in ("arxiv_published", "arxiv_updated"):
            data[name] = data[name].isoformat() if data[name] else None
        return data

    @classmethod
    def from_json(cls, data):
        data = dict(data)
        for name in ("arxiv_published", "arxiv_updated"):
            data[name] = datetime.fromisoformat(data[name]) if data[name] else None
        return cls(**data)


def split_id(entry_id):
    match = ID_RE.search(entry_id)
    if not match or not is_arxiv_id(match["id"]):
        raise ValueError(f"not an arXiv abstract URL: {entry_id!r}")
    return match["id"], int(match["version"] or 1)


def normalize_space(text):
    return re.sub(r"\s+", " ", text or "").strip()


def find_links(*texts):
    """The project page and code repository named in a comment or abstract."""
    project = code = ""
    for text in texts:
        for url in URL_RE.findall(text or ""):
            host = url.split("/")[2].lower()
            if any(host == h or host.endswith("." + h) for h in CODE_HOSTS):
                code = code or url
            elif "arxiv.org" not in host:
                project = project or url
    return project, code


def to_record(result):
    arxiv_id, version = split_id(result.entry_id)
    comment = normalize_space(result.comment)
    abstract = normalize_space(result.summary)
    project_url, code_url = find_links(comment, abstract)
    return PaperRecord(
        arxiv_id=arxiv_id,
        version=version,
        title=normalize_space(result.title),
        authors=[normalize_space(a.name) for a in result.authors if normalize_space(a.name)],
        abstract=abstract,
        comment=comment,
        journal_ref=normalize_space(result.journal_ref),
        doi=normalize_space(result.doi),
        primary_category=result.primary_category or "",
        categories=list(result.categories),
        arxiv_published=result.published,
        arxiv_updated=result.updated,
        abs_url=f"https://arxiv.org/abs/{arxiv_id}v{version}",
        pdf_url=ARXIV_HTTP_RE.sub("https://arxiv.org/", result.pdf_url or f"https://arxiv.org/pdf/{arxiv_id}v{version}"),
        project_url=project_url,
        code_url=code_url,
        affiliations={normalize_space(a.name): a.affiliation for a in result.authors if a.affiliation},
    )


def records_from_results(results, since=None):
    """Records from arXiv results, newest first, stopping at `since`."""
    records = []
    for result in results:
        try:
            record = to_record(result)
        except ValueError as exc:
            # An entry with no arXiv id cannot become a paper (its URLs would not resolve); the others can.
            log.warning("left out an arXiv entry: %s", exc)
            continue
        if since and record.arxiv_published < since:
            break
        records.append(record)
    return records


def search(query, max_results, since=None, progress=None):
    """Run an arXiv search and return its records, or raise ArxivUnavailable."""
    client = ArxivClient(page_size=min(max_results, 100))
    query_search = arxiv.Search(
        query=query, max_results=max_results, sort_by=arxiv.SortCriterion.SubmittedDate
    )
    try:
        results = iter(client.results(query_search))
        first = next(results, None)
        if first is None:
            # arXiv's empty first page cannot be told from a glitch: fail, so the next run retries.
            raise ArxivUnavailable("arXiv returned no results for this query")
        results = itertools.chain([first], results)
        if progress:
            results = progress(results, total=max_results)
        return records_from_results(results, since=since)
    except (arxiv.ArxivError, requests.RequestException) as exc:
        raise ArxivUnavailable(f"arXiv could not be reached: {exc}") from exc


def records_from_feed_file(path):
    """Records from a saved arXiv Atom response (the shipped sample corpus).

    Parsed by the same parser the `arxiv` client uses on live responses.
    """
    with open(path, "rb") as fh:
        content = fh.read()
    if error := feed_error(content):
        raise ArxivUnavailable(f"arXiv answered with an error: {error}")
    feed = _feed.parse(content)
    if feed.malformed:
        raise ArxivUnavailable(f"{path}: not an arXiv Atom feed ({feed.error})")
    return records_from_results(feed.results)


def is_reachable(timeout=3.0):
    """One quick probe, so an offline machine learns it in seconds, not minutes."""
    try:
        requests.head(settings.ARXIV_API_URL, timeout=timeout)
    except requests.RequestException:
        return False
    return True
