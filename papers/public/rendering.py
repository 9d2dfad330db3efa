"""Markdown to safe HTML: the only way generated or edited text reaches a page.

Markdown first, then nh3 with a short allow-list: no raw HTML, no images (a
model must not put pictures or tracking pixels on our pages), https links only;
$…$ formulas become MathML.
"""

import functools
import re
import secrets
import threading
from html import escape

import markdown
import nh3
from django.utils.safestring import mark_safe

from .math import math_html, split_math

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


# A published text is rendered again on every page that shows it (its day's digest, the home page, the feeds,
# search results) and whenever a publication refreshes those pages; its HTML depends on the text alone, so each
# process keeps the HTML of the texts it rendered last (4,096 of them, a few megabytes).
@functools.lru_cache(maxsize=4096)
def render_markdown(text):
    # Formulas first, kept out of Markdown's way (an underscore in $x_1$ is not emphasis) as placeholders that
    # Markdown and nh3 leave alone, then put back as MathML cleaned on its own allow-list (papers/public/math.py).
    # The placeholder carries a fresh nonce, so text that spells one out is not taken for a formula.
    formulas, pieces, nonce = [], [], secrets.token_hex(8)
    for kind, piece, source in split_math(text or ""):
        if kind == "math":
            formulas.append((piece, source))
            piece = f"MATH{nonce}N{len(formulas) - 1}X"
        pieces.append(piece)
    # No raw HTML at all: escaped before Markdown sees it, so an unclosed HTML block in
    # generated text cannot swallow the Markdown after it. nh3 then enforces the allow-list.
    html = _converter().convert("".join(pieces).replace("<", "&lt;"))
    html = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        clean_content_tags={"script", "style"},
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=keep_https_links,
        url_schemes={"https"},
        link_rel="noopener noreferrer nofollow",
    )
    return mark_safe(put_back(html, formulas, nonce) if formulas else html)


# One pattern for every nonce: a pattern compiled per call would miss re's cache each time and push Markdown's own
# patterns out of it.
PLACEHOLDER_RE = re.compile(r"MATH([0-9a-f]{16})N(\d+)X")


def put_back(html, formulas, nonce):
    """The formulas in place of their placeholders: MathML in text, the $…$ as typed inside a tag (a link's
    address) or in code, where MathML would break the markup or is not meant."""
    def formula(match, as_typed):
        if match.group(1) != nonce:
            return match.group(0)
        mathml, source = formulas[int(match.group(2))]
        return escape(source) if as_typed else mathml

    pieces, in_code = [], 0
    for piece in re.split(r"(<[^>]*>)", html):
        if piece.startswith("<"):
            in_code += 1 if re.match(r"<(code|pre)\b", piece) else -1 if re.match(r"</(code|pre)\b", piece) else 0
            pieces.append(PLACEHOLDER_RE.sub(lambda m: formula(m, True), piece))
        else:
            pieces.append(PLACEHOLDER_RE.sub(lambda m: formula(m, bool(in_code)), piece))
    return "".join(pieces)


def render_text(text):
    """A title or an abstract (plain text) as HTML: escaped, its formulas as MathML."""
    return mark_safe(math_html(text))
