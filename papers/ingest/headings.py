"""Scoring found headings against true ones, for the benchmark and its tests."""

import re


def normalize(title):
    title = re.sub(r"^([IVX]+|\d+)[.\s]+", "", title.strip())
    return re.sub(r"[^a-z0-9]+", "", title.lower())


def matches(found, truth):
    a, b = normalize(found), normalize(truth)
    return bool(a) and (a == b or (len(a) >= 8 and b.startswith(a)) or (len(b) >= 8 and a.startswith(b)))


def score(found, truth):
    """(true headings found, found in the right order): the order count is the longest
    run of matches that keeps the true order."""
    hits = []
    for t_index, true in enumerate(truth):
        for f_index, f in enumerate(found):
            if matches(f, true):
                hits.append(f_index)
                break
    ordered = 0
    if hits:
        best = [1] * len(hits)
        for i in range(len(hits)):
            for j in range(i):
                if hits[j] < hits[i]:
                    best[i] = max(best[i], best[j] + 1)
        ordered = max(best)
    return len(hits), ordered
