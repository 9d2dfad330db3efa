"""sitemap.xml: every public paper and topic page, through the one definition of public (`published()`)."""

from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from ..models import Paper, Topic


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


SITEMAPS = {"papers": PaperSitemap, "topics": TopicSitemap}
