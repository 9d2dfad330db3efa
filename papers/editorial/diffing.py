"""HTML for editors: flags marked at the spans they point to, and what an editor changed."""

import difflib
import re

from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import mark_safe

TOKEN_RE = re.compile(r"\s+|[\u4e00-\u9fff]|[^\s\u4e00-\u9fff]+")


def highlight_flags(text, flags):
    """`text` escaped, with each flag's span in a <mark> that names the flag."""
    spans = sorted((f["start"], f["end"], f) for f in flags if f.get("end", 0) > f.get("start", 0))
    out, pos = [], 0
    for start, end, flag in spans:
        start = max(start, pos)
        if start >= end:
            continue
        out.append(escape(text[pos:start]))
        out.append(format_html('<mark class="flag sev{}" title="{}: {}">{}</mark>', flag["severity"], flag["code"],
                               flag["message"], text[start:end]))
        pos = end
    out.append(escape(text[pos:]))
    return mark_safe("".join(str(part) for part in out))


def diff_html(before, after):
    """A word-level diff (characters for Chinese): deletions in <del>, insertions in <ins>."""
    a, b = TOKEN_RE.findall(before), TOKEN_RE.findall(after)
    parts = []
    for op, a0, a1, b0, b1 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            parts.append(("span", "".join(a[a0:a1])))
            continue
        if a1 > a0:
            parts.append(("del", "".join(a[a0:a1])))
        if b1 > b0:
            parts.append(("ins", "".join(b[b0:b1])))
    return format_html_join("", "<{0}>{1}</{0}>", parts)
