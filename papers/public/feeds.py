"""RSS 2.0 and Atom 1.0 feeds, for the whole site and for each topic.

One item per published paper, the latest 50: title, link, an id of its own in
each format (RSS: the paper's page; Atom: a tag: URI), when it was first published
and last republished, one author element per author, categories, and the whole
item as sanitized HTML: summary, key takeaways, links to the arXiv page and the
PDF, and the lead figure as an image (an enclosure would be offered like a podcast).
Every string is stripped of characters XML cannot carry.
"""

import re

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed
from django.utils.html import format_html, strip_tags

from ..models import Paper, Topic
from .rendering import render_markdown

ITEMS = 50
XML_ILLEGAL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def clean(text):
    return XML_ILLEGAL_RE.sub("", str(text or ""))


def plain(text):
    """Titles and names as plain text: some readers render markup in them."""
    return clean(strip_tags(str(text or "")))


class RssWithAuthors(Rss201rev2Feed):
    """RSS 2.0 with a dc:creator per author (RSS's own <author> is an e-mail address)."""

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        for name in item["authors"]:
            handler.addQuickElement("dc:creator", name)

    def rss_attributes(self):
        return {**super().rss_attributes(), "xmlns:dc": "http://purl.org/dc/elements/1.1/"}


class AtomWithAuthors(Atom1Feed):
    """Atom 1.0 with an <author> per author."""

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        for name in item["authors"]:
            handler.startElement("author", {})
            handler.addQuickElement("name", name)
            handler.endElement("author")


class SiteFeed(Feed):
    """A new instance per request (see urls.py), so it may keep the request."""

    feed_type = RssWithAuthors
    description_template = None

    def get_object(self, request, *args, **kwargs):
        self.request = request
        return None

    def title(self, obj):
        return clean(settings.SITE_NAME)

    def link(self, obj):
        return "/"

    def description(self, obj):
        return clean(f"Reviewed summaries of new arXiv papers — {settings.SITE_NAME}")

    def papers(self, obj):
        return Paper.objects.published().with_public_parts()

    def items(self, obj):
        return self.papers(obj).order_by("-published_at", "-pk")[:ITEMS]

    def item_title(self, paper):
        return plain(paper.publication.title)

    def item_link(self, paper):
        return paper.get_absolute_url()

    def item_guid(self, paper):
        return self.request.build_absolute_uri(paper.get_absolute_url())

    item_guid_is_permalink = True

    def item_pubdate(self, paper):
        return paper.published_at

    def item_updateddate(self, paper):
        return paper.publication.created_at

    def item_extra_kwargs(self, paper):
        return {"authors": [plain(name) for name in paper.publication.authors]}

    def item_categories(self, paper):
        return [plain(c) for c in paper.publication.categories]

    def item_description(self, paper):
        public = paper.publication
        sections = {s.kind: s for s in paper.public_sections}
        parts = [render_markdown(sections[k].published_body) for k in ("summary", "key_takeaways") if k in sections]
        parts.append(format_html('<p><a href="{}">arXiv {}</a> · <a href="{}">PDF</a></p>',
                                 public.abs_url, public.versioned_id, public.pdf_url))
        lead = next(iter(paper.public_figures), None)
        if lead is not None:
            parts.append(format_html(
                '<p><img src="{}" alt="{}" width="{}" height="{}"><br>{} <small>Figure: {}</small></p>',
                self.request.build_absolute_uri(settings.MEDIA_URL + (lead.fallback or lead.image)),
                lead.label or "figure", lead.width, lead.height, lead.caption, public.figure_credit))
        return clean("".join(parts))


class AtomDetails:
    """Atom ids of their own (a tag: URI per paper), so a reader subscribed to both formats sees two items; the
    site as the feed's author, for a paper that lists none (every Atom entry needs one)."""

    def author_name(self, obj):
        return clean(settings.SITE_NAME)

    def item_guid(self, paper):
        return f"tag:{settings.FEED_ID_AUTHORITY},2026:paper/{paper.arxiv_id}"


class SiteAtomFeed(AtomDetails, SiteFeed):
    feed_type = AtomWithAuthors

    def subtitle(self, obj):
        return self.description(obj)


class TopicFeed(SiteFeed):
    def get_object(self, request, slug):
        self.request = request
        return get_object_or_404(Topic, slug=slug)

    def title(self, topic):
        return plain(f"{topic.name} · {settings.SITE_NAME}")

    def link(self, topic):
        return f"/t/{topic.slug}/"

    def description(self, topic):
        return plain(f"Reviewed summaries of new arXiv papers on {topic.name}")

    def papers(self, topic):
        return Paper.objects.published().with_public_parts().filter(topics=topic)


class TopicAtomFeed(AtomDetails, TopicFeed):
    feed_type = AtomWithAuthors

    def subtitle(self, topic):
        return self.description(topic)
