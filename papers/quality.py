"""Checks on generated text. Each returns flags that say what looks wrong and where.

A flag is a dict: code, severity (1 note, 2 warning, 3 serious), message, and
the character span [start, end) of the section body it points to.
"""

import re
from collections import defaultdict

# Far too long for what each section is meant to be; the runaway paragraph in
# the 2024-09-07 sample post is 3,044 characters.
SECTION_LIMITS = {"summary": 400, "key_takeaways": 2500, "method": 3500, "conclusion": 3000}
PARAGRAPH_LIMIT = 1200
REPEAT_MIN = 3

UNIT_RE = re.compile(r"[\u4e00-\u9fff]|[^\s\u4e00-\u9fff]+")
CJK_RE = re.compile(r"[\u4e00-\u9fff]")


def flag(code, severity, message, start=0, end=0):
    return {"code": code, "severity": severity, "message": message, "start": start, "end": end}


def check_empty(kind, text):
    if not text.strip():
        return [flag("empty", 3, "The section is empty.")]
    return []


def check_length(kind, text):
    flags = []
    limit = SECTION_LIMITS.get(kind)
    if limit and len(text) > 2 * limit:
        flags.append(flag("too_long", 3, f"{len(text):,} characters; a {kind} is rarely over {limit:,}.",
                          0, len(text)))
    elif limit and len(text) > limit:
        flags.append(flag("too_long", 2, f"{len(text):,} characters; a {kind} is rarely over {limit:,}.",
                          0, len(text)))
    for match in re.finditer(r"[^\n]+", text):
        if len(match[0]) > PARAGRAPH_LIMIT:
            flags.append(flag("long_paragraph", 3,
                              f"One paragraph runs {len(match[0]):,} characters without a break.",
                              match.start(), match.end()))
    return flags


def check_repetition(kind, text):
    """Runaway generation: the same run of words (or of Chinese characters) over and over."""
    units = [(m.start(), m.end()) for m in UNIT_RE.finditer(text)]
    cjk = len(CJK_RE.findall(text)) > len(units) / 2
    n = 8 if cjk else 5
    positions = defaultdict(list)
    for i in range(len(units) - n + 1):
        gram = text[units[i][0]:units[i + n - 1][1]].lower()
        last = positions[gram][-1] if positions[gram] else None
        if last is None or i - last >= n:  # count non-overlapping occurrences
            positions[gram].append(i)
    worst = max(positions.items(), key=lambda kv: len(kv[1]), default=(None, []))
    gram, where = worst
    if len(where) < REPEAT_MIN:
        return []
    start, end = units[where[0]][0], units[where[-1] + n - 1][1]
    return [flag("repetition", 3, f"“{gram}” repeats {len(where)} times.", start, end)]


CHECKS = [check_empty, check_length, check_repetition]


def check_section(kind, text):
    flags = []
    for check in CHECKS:
        flags.extend(check(kind, text))
    return flags


def score(flags):
    return sum(f["severity"] for f in flags)
