"""The page cache's backend (settings.CACHES): diskcache's, left open between requests."""

from diskcache import DjangoCache


class PageCache(DjangoCache):
    """Django closes every cache when a request finishes. Reopening diskcache's SQLite shards costs more than
    reading a cached page (1.3 ms against 0.4 ms a cached page; wrk served 850 cached home pages a second with
    it, 2,900 with Django's file cache), and diskcache's author advises leaving a cache open: every operation is
    atomic, and a forked process opens its own connections. Django made the same change for pylibmc (#11331)."""

    def close(self, **kwargs):
        pass
