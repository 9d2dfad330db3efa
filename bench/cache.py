"""The page cache: what writing and reading a page costs as the cache fills. Prints figures; asserts nothing.

    .venv/bin/python bench/cache.py

The configured backend (digest/settings.py: diskcache) beside Django's FileBasedCache, which lists its whole
folder on every write, at 1,000 and 19,000 cached pages of 20 KB: median time to write a page, and to read a
page with the three tag versions its key needs (papers/public/caching.py).
"""

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "digest.settings")

import django  # noqa: E402
from django.conf import settings  # noqa: E402

PAGE = {"content": b"x" * 20000, "content_type": "text/html; charset=utf-8"}
SIZES = (1000, 19000)


def main():
    django.setup()
    from django.core.cache import caches

    with tempfile.TemporaryDirectory(prefix="digest-cache-") as configured, \
            tempfile.TemporaryDirectory(prefix="digest-cache-") as filebased:
        settings.CACHES = {
            "configured": {**settings.CACHES["default"], "LOCATION": configured},
            "filebased": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": filebased,
                          "OPTIONS": {"MAX_ENTRIES": 20000}},
        }
        measure(caches)


def measure(caches):
    print(f"{'backend':<54}{'pages':>8}{'write p50':>12}{'read p50':>12}")
    for name in settings.CACHES:
        cache, stored = caches[name], 0
        for size in SIZES:
            while stored < size:
                cache.set_many({f"fill-{stored + i}": PAGE for i in range(500)})
                stored += 500
            writes, reads = [], []
            for i in range(50):
                started = time.perf_counter()
                cache.set(f"page-{size}-{i}", PAGE)
                writes.append(time.perf_counter() - started)
                started = time.perf_counter()
                cache.get_many(["fill-1", "fill-2", "fill-3"])
                cache.get(f"fill-{i}")
                reads.append(time.perf_counter() - started)
            backend = settings.CACHES[name]["BACKEND"]
            print(f"{backend:<54}{size:>8}{statistics.median(writes) * 1000:>9.2f} ms"
                  f"{statistics.median(reads) * 1000:>9.2f} ms")


if __name__ == "__main__":
    main()
