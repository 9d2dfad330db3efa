"""Where a search result matches: a passage of its abstract (else its one-line summary) around the first word
the query matched, every matched word in <mark>, accents folded as search folds them.

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
from .search import CJK_RUN_RE, TOKEN_RE, fold

BEFORE, AFTER = 80, 200  # characters of context around the first match


def stem(word):
    return word if len(word) <= 4 else word[:max(4, len(word) - 3)]


def word_pattern(word):
    # A short word by its first letters would mark half the text ("a" marks "approach"): it is marked whole,
    # or with a plural ending ("gan" marks "GANs").
    return rf"\b{re.escape(word)}(?:e?s)?\b" if len(word) <= 3 else rf"\b{re.escape(stem(word))}\w*"


@lru_cache(maxsize=256)  # one query, every result of its page
def pattern(query):
    """One regular expression for every word of the (folded) query, or None when it has none. Words such as
    "the" or "of" are marked only in a query that has no other."""
    pieces = [re.escape(run) for run in CJK_RUN_RE.findall(query)]
    latin = [word for word in TOKEN_RE.findall(CJK_RUN_RE.sub(" ", query).lower()) if word.isascii()]
    telling = [word for word in latin if word not in STOPWORDS]
    pieces += [word_pattern(word) for word in (telling or ([] if pieces else latin))]
    if not pieces:
        return None
    return re.compile("|".join(sorted(set(pieces), key=len, reverse=True)), re.I)


class Folding(dict):
    """str.translate's table: each character without its accent ("é" -> "e"), as search folds them, one
    character for one, so that a match in the folded text is at the same place in the text."""

    def __missing__(self, code):
        folded = fold(chr(code))
        self[code] = folded if len(folded) == 1 else chr(code)
        return self[code]


FOLDING = Folding()


def snippet(text, query):
    """HTML: the passage of `text` around the first word of `query` it has, outside formulas, with every such
    word marked; "" when it has none."""
    words = pattern(fold(query))
    if words is None or not text:
        return ""
    plain = text if text.isascii() else text.translate(FOLDING)
    formulas = [m.span() for m in MATH_RE.finditer(text)] if "$" in text else []
    first = next((m for m in words.finditer(plain) if not any(a <= m.start() < b for a, b in formulas)), None)
    if first is None:
        return ""
    start = max(0, first.start() - BEFORE)
    end = min(len(text), first.end() + AFTER)
    # Whole words at the edges (Chinese has no spaces: there, the characters as they fall).
    if start:
        space = text.find(" ", start, first.start())
        start = space + 1 if space >= 0 else start
    if end < len(text):
        space = text.rfind(" ", first.end(), end)
        end = space if space >= 0 else end
    # And whole formulas: they are shown as on the paper's page, as MathML.
    for a, b in formulas:
        if a < start < b:
            start = a
        if a < end < b:
            end = b
    parts, at = [], start
    for kind, piece, source in split_math(text[start:end]):
        parts.append(piece if kind == "math" else marked(piece, plain[at:at + len(piece)], words))
        at += len(source or piece)
    return mark_safe(("… " if start else "") + "".join(parts) + (" …" if end < len(text) else ""))


def marked(text, plain, words):
    """`text` escaped, with the words `words` finds in `plain` (its folded twin) in <mark>."""
    parts, last = [], 0
    for match in words.finditer(plain):
        parts.append(escape(text[last:match.start()]))
        parts.append(f"<mark>{escape(text[match.start():match.end()])}</mark>")
        last = match.end()
    parts.append(escape(text[last:]))
    return "".join(parts)
