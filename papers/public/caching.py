"""Cached public pages and feeds, each refreshed when what it shows changes, not when anything does.

A page says what parts of the site it shows, as tags: "home", "topic:<slug>" (a topic's page and feeds),
"day:<slug>:<date>", "paper:<arXiv id>", "related" (every paper page: each lists other papers), "search",
"listings" (categories and authors), "feed" (the site's feeds), "sitemap". Each tag has a version kept in the
cache itself and every page's key carries its tags' versions, so surfaces.refresh() bumping a tag makes every
process sharing the cache (gunicorn workers, the task cluster) stop serving those pages at the same moment,
and only those. Every page also carries "site", which everything_changed() bumps (a bulk load).
"""

import datetime
import functools
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.utils.cache import patch_vary_headers

EVERY_PAGE = "site"


def _key(tag):
    return f"public-version:{tag}"


def versions(tags):
    """The tags' current versions, as one string (a tag never bumped gets one now); None where one cannot be
    read (a busy or full cache), and then the page is neither read from the cache nor written to it: a key made
    without its versions would outlive the next refresh."""
    keys = [_key(tag) for tag in (EVERY_PAGE, *tags)]
    found = cache.get_many(keys)
    missing = {key: time.time_ns() for key in keys if key not in found}
    if missing:
        for key, version in missing.items():
            cache.add(key, version, None)
        found = cache.get_many(keys)
    if len(found) < len(keys):
        return None
    return ".".join(str(found[key]) for key in keys)


def changed(tags):
    """The pages showing any of `tags` are out of date."""
    now = time.time_ns()
    cache.set_many({_key(tag): now for tag in tags}, None)


def everything_changed():
    changed([EVERY_PAGE])


def cached_value(name, tags, compute):
    """What `compute()` returns, kept in the cache like a page: until one of `tags` changes."""
    current = versions(tags)
    if current is None:
        return compute()
    return cache.get_or_set(f"public-value:{name}:{current}", compute, settings.PUBLIC_CACHE_SECONDS)


def cached_public(tags):
    """Cache a public page or feed for anonymous readers, per language and full URL, until one of the tags
    `tags(**view_kwargs)` names changes."""

    def decorator(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            current = None if request.method != "GET" or request.user.is_authenticated else versions(tags(**kwargs))
            if current is None:
                return view(request, *args, **kwargs)
            key = f"public:{current}:{request.LANGUAGE_CODE}:{request.get_full_path()}"
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

    return decorator


def day_tag(slug, day):
    """A day's digest's tag, whichever way its URL writes the date."""
    if isinstance(day, str):
        try:
            day = datetime.date.fromisoformat(day)
        except ValueError:
            pass
    return f"day:{slug}:{day}"
