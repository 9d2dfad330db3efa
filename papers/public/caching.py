"""Cached public pages and feeds, all invalidated at once when what is public changes.

Every cache key carries a "public version" kept in the cache itself; publishing,
unpublishing or rejecting bumps it, so every process sharing the cache (gunicorn
workers, the task cluster) stops serving the old pages at the same moment.
"""

import functools
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.utils.cache import patch_vary_headers

VERSION_KEY = "public-version"


def public_version():
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, time.time_ns(), None)
        version = cache.get(VERSION_KEY)
    return version


def public_changed():
    cache.set(VERSION_KEY, time.time_ns(), None)


def cached_public(view):
    """Cache a public page or feed for anonymous readers, per language and full URL."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method != "GET" or request.user.is_authenticated:
            return view(request, *args, **kwargs)
        key = f"public:{public_version()}:{request.LANGUAGE_CODE}:{request.get_full_path()}"
        hit = cache.get(key)
        if hit is not None:
            response = HttpResponse(hit["content"], content_type=hit["content_type"])
            patch_vary_headers(response, ("Accept-Language", "Cookie"))
            return response
        response = view(request, *args, **kwargs)
        if response.status_code == 200 and not response.streaming:
            if hasattr(response, "render"):
                response.render()
            cache.set(key, {"content": response.content, "content_type": response["Content-Type"]},
                      settings.PUBLIC_CACHE_SECONDS)
        return response

    return wrapper
