"""What an arXiv identifier looks like, defined once for every place one enters or reaches a URL."""

import re

from django.core.exceptions import ValidationError

# New style (2409.02634; four digits after the dot until 2014) and old style (quant-ph/9508027, math.GT/0309136).
ARXIV_ID = r"\d{4}\.\d{4,5}|[a-z]+(?:-[a-z]+)*(?:\.[A-Z]{2})?/\d{7}"
ARXIV_ID_RE = re.compile(ARXIV_ID)


def is_arxiv_id(text):
    return bool(ARXIV_ID_RE.fullmatch(text or ""))


def validate_arxiv_id(text):
    if not is_arxiv_id(text):
        raise ValidationError(f"{str(text)[:40]!r} is not an arXiv id (such as 2409.02634 or quant-ph/9508027)",
                              code="arxiv_id")


# An arXiv category: cs.CV, math.GT, astro-ph.CO, quant-ph, hep-th, cond-mat.mes-hall, physics.atom-ph.
ARXIV_CATEGORY_RE = re.compile(r"[a-z]+(?:-[a-z]+)*(?:\.[A-Za-z]+(?:-[A-Za-z]+)*)?")


def validate_categories(text):
    """Space-separated arXiv categories; anything else could rewrite the search the topic sends to arXiv."""
    bad = [c for c in (text or "").split() if not ARXIV_CATEGORY_RE.fullmatch(c)]
    if bad:
        raise ValidationError(f"not arXiv categories: {' '.join(bad)[:80]} (write them like cs.CV cs.GR)",
                              code="categories")


def validate_query(text):
    """An arXiv search whose parentheses balance outside its quoted phrases, and whose quotes close, so it cannot
    close the group the categories narrow."""
    depth, quoted = 0, False
    for char in text or "":
        if char == '"':
            quoted = not quoted
        elif not quoted:
            depth += {"(": 1, ")": -1}.get(char, 0)
            if depth < 0:
                break
    if quoted:
        raise ValidationError("the query has a quote that does not close", code="query")
    if depth:
        raise ValidationError("the query's parentheses do not balance", code="query")


def phrase(text):
    """`text` as one quoted arXiv search phrase: its own quotes and parentheses would end or regroup it."""
    return '"' + " ".join(re.sub(r'["()]', " ", text).split()) + '"'
