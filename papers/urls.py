from django.contrib.sitemaps import views as sitemap_views
from django.urls import path, re_path, register_converter

from .identifiers import ARXIV_ID
from .public import feeds, views
from .public.caching import cached_public
from .public.sitemaps import SITEMAPS

app_name = "papers"


class TopicSlug:
    """A topic's slug, Unicode letters included (Topic.slug allows them)."""
    regex = r"[-\w]+"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(TopicSlug, "topic")


def feed_view(feed_class, tags):
    # A fresh Feed per request: the feed keeps the request to build absolute URLs.
    return cached_public(tags)(lambda request, *args, **kwargs: feed_class()(request, *args, **kwargs))


def topic_tags(slug):
    return [f"topic:{slug}"]


def site_tags(**kwargs):
    return ["feed"]


def sitemap_tags(**kwargs):
    return ["sitemap"]


urlpatterns = [
    path("", views.home, name="home"),
    path("t/<topic:slug>/", views.topic_days, name="topic"),
    path("t/<topic:slug>/<str:day>/", views.day_digest, name="day"),
    path("t/<topic:slug>/feed/rss/", feed_view(feeds.TopicFeed, topic_tags), name="topic_rss"),
    path("t/<topic:slug>/feed/atom/", feed_view(feeds.TopicAtomFeed, topic_tags), name="topic_atom"),
    path("feed/rss/", feed_view(feeds.SiteFeed, site_tags), name="rss"),
    path("feed/atom/", feed_view(feeds.SiteAtomFeed, site_tags), name="atom"),
    path("category/<path:name>/", views.category, name="category"),
    # Any name: "LIGO/Virgo Collaboration" has a slash.
    path("author/<path:name>/", views.author, name="author"),
    path("search/", views.search, name="search"),
    path("lang/<str:code>/", views.set_language, name="set_language"),
    path("source/", views.source, name="source"),
    path("robots.txt", views.robots, name="robots"),
    path("sitemap.xml", cached_public(sitemap_tags)(sitemap_views.index), {"sitemaps": SITEMAPS, "sitemap_url_name": "papers:sitemap"},
         name="sitemap_index"),
    path("sitemap-<section>.xml", cached_public(sitemap_tags)(sitemap_views.sitemap), {"sitemaps": SITEMAPS}, name="sitemap"),
    re_path(rf"^paper/(?P<arxiv_id>{ARXIV_ID})/$", views.paper_detail, name="paper"),
]
