"""Markdown to safe HTML: the only way generated or edited text reaches a page.

Markdown first, then nh3 with a short allow-list: no raw HTML, no images (a
model must not put pictures or tracking pixels on our pages), https links only.
"""

import re
import threading

import markdown
import nh3
from django.utils.safestring import mark_safe

ALLOWED_TAGS = {"p", "br", "ul", "ol", "li", "em", "strong", "code", "pre", "blockquote", "a", "h3", "h4"}
ALLOWED_ATTRIBUTES = {"a": {"href"}}

# Building a Markdown instance costs more than converting a summary with it; an instance
# is not thread-safe, so each thread keeps its own and resets it before every use.
_local = threading.local()


def _converter():
    if not hasattr(_local, "md"):
        _local.md = markdown.Markdown(extensions=["sane_lists"], output_format="html")
    return _local.md.reset()


# Absolute https links only: "//host", "/\host" (browsers read "\" as "/") and relative links lead off-site or
# nowhere.
HTTPS_RE = re.compile(r"https://", re.I)


def keep_https_links(tag, attribute, value):
    if tag == "a" and attribute == "href":
        return value if HTTPS_RE.match(value.lstrip("\x00\t\n\x0b\x0c\r ")) else None
    return value


def render_markdown(text):
    # No raw HTML at all: escaped before Markdown sees it, so an unclosed HTML block in
    # generated text cannot swallow the Markdown after it. nh3 then enforces the allow-list.
    text = (text or "").replace("<", "&lt;")
    html = _converter().convert(text)
    return mark_safe(nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        clean_content_tags={"script", "style"},
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=keep_https_links,
        url_schemes={"https"},
        link_rel="noopener noreferrer nofollow",
    ))
