"""sitemap.xml: every public paper, topic and day page, through the one definition of public (`published()`; a
topic's days are TopicDay, its stored count, kept in the transaction of every publication)."""

from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from ..models import Paper, Topic, TopicDay


class PaperSitemap(Sitemap):
    limit = 50_000  # the protocol's cap per file: the index lists one file per 50,000 papers

    def items(self):
        return Paper.objects.published().select_related("publication").only(
            "arxiv_id", "publication__created_at").order_by("pk")

    def lastmod(self, paper):
        return paper.publication.created_at


class TopicSitemap(Sitemap):
    def items(self):
        return Topic.objects.with_published().order_by("pk")

    def location(self, topic):
        return reverse("papers:topic", args=[topic.slug])


class DaySitemap(Sitemap):
    def items(self):
        return TopicDay.objects.select_related("topic").only("day", "topic__slug").order_by("pk")

    def location(self, day):
        return reverse("papers:day", args=[day.topic.slug, day.day])


SITEMAPS = {"papers": PaperSitemap, "topics": TopicSitemap, "days": DaySitemap}
