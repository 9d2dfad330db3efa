"""RSS 2.0 and Atom 1.0 feeds, for the whole site and for each topic.

One item per published paper, the latest 50: title, link and guid (the paper's
page), publication time, authors, categories, and summary + key takeaways as
sanitized HTML, with the lead figure as an enclosure. Every string is stripped
of characters XML cannot carry.
"""

import re

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.utils.feedgenerator import Atom1Feed, Enclosure
from django.utils.html import strip_tags

from ..models import Paper, Topic
from .rendering import render_markdown

ITEMS = 50
XML_ILLEGAL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def clean(text):
    return XML_ILLEGAL_RE.sub("", str(text or ""))


def plain(text):
    """Titles and names as plain text: some readers render markup in them."""
    return clean(strip_tags(str(text or "")))


class SiteFeed(Feed):
    """A new instance per request (see urls.py), so it may keep the request."""

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

    def item_author_name(self, paper):
        return plain(", ".join(paper.publication.authors))

    def item_categories(self, paper):
        return [plain(c) for c in paper.publication.categories]

    def item_description(self, paper):
        sections = {s.kind: s for s in paper.public_sections}
        parts = [render_markdown(sections[k].published_body) for k in ("summary", "key_takeaways") if k in sections]
        return clean("".join(parts))

    def item_enclosures(self, paper):
        lead = next(iter(paper.public_figures), None)
        if lead is None:
            return []
        path = settings.MEDIA_ROOT / lead.image
        size = path.stat().st_size if path.exists() else 0
        return [Enclosure(self.request.build_absolute_uri(settings.MEDIA_URL + lead.image), str(size), "image/webp")]


class SiteAtomFeed(SiteFeed):
    feed_type = Atom1Feed

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


class TopicAtomFeed(TopicFeed):
    feed_type = Atom1Feed

    def subtitle(self, topic):
        return self.description(topic)
