from django.urls import path, re_path

from .public import feeds, views
from .public.caching import cached_public

app_name = "papers"


def feed_view(feed_class):
    # A fresh Feed per request: the feed keeps the request to build absolute URLs.
    return cached_public(lambda request, *args, **kwargs: feed_class()(request, *args, **kwargs))


urlpatterns = [
    path("", views.home, name="home"),
    path("t/<slug:slug>/", views.topic_days, name="topic"),
    path("t/<slug:slug>/<str:day>/", views.day_digest, name="day"),
    path("t/<slug:slug>/feed/rss/", feed_view(feeds.TopicFeed), name="topic_rss"),
    path("t/<slug:slug>/feed/atom/", feed_view(feeds.TopicAtomFeed), name="topic_atom"),
    path("feed/rss/", feed_view(feeds.SiteFeed), name="rss"),
    path("feed/atom/", feed_view(feeds.SiteAtomFeed), name="atom"),
    path("category/<str:name>/", views.category, name="category"),
    path("author/<str:name>/", views.author, name="author"),
    path("search/", views.search, name="search"),
    path("lang/<str:code>/", views.set_language, name="set_language"),
    path("source/", views.source, name="source"),
    # New-style ids (2409.02634) and old-style ones with a slash (quant-ph/9508027).
    re_path(r"^paper/(?P<arxiv_id>[\w.\-]+(?:/\d+)?)/$", views.paper_detail, name="paper"),
]
