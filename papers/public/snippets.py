"""Where a search result matches: a passage of its abstract (else its one-line summary) around the first word
the query matched, every matched word in <mark>.

A Latin word is matched by its first letters (all but its last three, and at least four), which marks the forms
search's stemming finds ("heads" marks "Head", "reconstructing" marks "Reconstruction"); Chinese by the characters
typed. The text is escaped piece by piece; only the marks are HTML.
"""

import re
from functools import lru_cache
from html import escape

from django.utils.safestring import mark_safe

from .search import CJK_RUN_RE, TOKEN_RE

BEFORE, AFTER = 80, 200  # characters of context around the first match


def stem(word):
    return word if len(word) <= 4 else word[:max(4, len(word) - 3)]


@lru_cache(maxsize=256)  # one query, every result of its page
def pattern(query):
    """One regular expression for every word of the query, or None when it has none."""
    pieces = [re.escape(run) for run in CJK_RUN_RE.findall(query)]
    latin = CJK_RUN_RE.sub(" ", query)
    pieces += [rf"\b{re.escape(stem(word))}\w*" for word in TOKEN_RE.findall(latin.lower()) if word.isascii()]
    if not pieces:
        return None
    return re.compile("|".join(sorted(set(pieces), key=len, reverse=True)), re.I)


def snippet(texts, query):
    """HTML: the passage of the first of `texts` that matches, with its matches marked; "" when none does."""
    words = pattern(query)
    if words is None:
        return ""
    for text in texts:
        first = words.search(text or "")
        if not first:
            continue
        start = max(0, first.start() - BEFORE)
        end = min(len(text), first.end() + AFTER)
        # Whole words at the edges.
        if start:
            start = text.find(" ", start) + 1 or start
        if end < len(text):
            cut = text.rfind(" ", first.end(), end)
            end = cut if cut > 0 else end
        passage, parts, last = text[start:end], [], 0
        for match in words.finditer(passage):
            parts.append(escape(passage[last:match.start()]))
            parts.append(f"<mark>{escape(match.group())}</mark>")
            last = match.end()
        parts.append(escape(passage[last:]))
        return mark_safe(("… " if start else "") + "".join(parts) + (" …" if end < len(text) else ""))
    return ""
