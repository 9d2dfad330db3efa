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
