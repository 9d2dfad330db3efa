"""Where a search result matches: a passage of its abstract (else its one-line summary) around the first word
the query matched, every matched word in <mark>.

A Latin word is matched by its first letters (all but its last three, and at least four), which marks the forms
search's stemming finds ("heads" marks "Head", "reconstructing" marks "Reconstruction"), a word of three letters
or fewer whole; Chinese by the characters typed. Formulas are shown whole, as MathML. The text is escaped piece
by piece; only the marks and the formulas are HTML.
"""

import re
from functools import lru_cache
from html import escape

from django.utils.safestring import mark_safe

from ..stopwords import STOPWORDS
from .math import MATH_RE, split_math
from .search import CJK_RUN_RE, TOKEN_RE

BEFORE, AFTER = 80, 200  # characters of context around the first match


def stem(word):
    return word if len(word) <= 4 else word[:max(4, len(word) - 3)]


def word_pattern(word):
    # A short word by its first letters would mark half the text ("a" marks "approach"): it is marked whole,
    # or with a plural ending ("gan" marks "GANs").
    return rf"\b{re.escape(word)}(?:e?s)?\b" if len(word) <= 3 else rf"\b{re.escape(stem(word))}\w*"


@lru_cache(maxsize=256)  # one query, every result of its page
def pattern(query):
    """One regular expression for every word of the query, or None when it has none. Words such as "the" or
    "of" are marked only in a query that has no other."""
    pieces = [re.escape(run) for run in CJK_RUN_RE.findall(query)]
    latin = [word for word in TOKEN_RE.findall(CJK_RUN_RE.sub(" ", query).lower()) if word.isascii()]
    telling = [word for word in latin if word not in STOPWORDS]
    pieces += [word_pattern(word) for word in (telling or latin)]
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
        # And whole formulas: they are shown as on the paper's page, as MathML.
        for formula in (MATH_RE.finditer(text) if "$" in text else ()):
            if formula.start() < start < formula.end():
                start = formula.start()
            if formula.start() < end < formula.end():
                end = formula.end()
        parts = [piece if kind == "math" else marked(piece, words) for kind, piece, _ in split_math(text[start:end])]
        return mark_safe(("… " if start else "") + "".join(parts) + (" …" if end < len(text) else ""))
    return ""


def marked(text, words):
    parts, last = [], 0
    for match in words.finditer(text):
        parts.append(escape(text[last:match.start()]))
        parts.append(f"<mark>{escape(match.group())}</mark>")
        last = match.end()
    parts.append(escape(text[last:]))
    return "".join(parts)
