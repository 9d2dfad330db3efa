"""Precision and recall of the quality checks against hand-labelled sections of real posts."""

import json
from pathlib import Path

from ..editorial import posts, quality

# Which check codes count as catching each labelled defect class.
CLASS_CODES = {
    "repetition": {"repetition", "long_paragraph"},
    "echo": {"echo"},
    "chatbot": {"chatbot"},
    "wrong_language": {"wrong_language"},
    "generic": {"generic"},
    "invented_authors": {"invented_authors"},
    "broken_chars": {"broken_chars"},
}


def measure(labels_path, posts_dir, language="zh"):
    labels = json.loads(Path(labels_path).read_text(encoding="utf-8"))
    parsed = {}
    stats = {c: {"tp": 0, "fp": 0, "fn": 0} for c in labels["classes"]}
    clean = clean_flagged = 0
    for item in labels["sections"]:
        if item["post"] not in parsed:
            post = posts.parse((Path(posts_dir) / item["post"]).read_text(encoding="utf-8"))
            parsed[item["post"]] = {e.arxiv_id: e for e in posts.unique_entries(post)}
        entry = parsed[item["post"]][item["paper"]]
        context = quality.Context(title=entry.title, authors=entry.authors, paper_text=entry.abstract,
                                  language=language, backend="imported")
        codes = {f["code"] for f in quality.check_section(item["kind"], entry.sections.get(item["kind"], ""), context)}
        found = {c for c, cs in CLASS_CODES.items() if codes & cs}
        truth = set(item["labels"])
        for c in labels["classes"]:
            stats[c]["tp"] += c in found and c in truth
            stats[c]["fp"] += c in found and c not in truth
            stats[c]["fn"] += c not in found and c in truth
        if not truth:
            clean += 1
            clean_flagged += bool(found)
    return stats, clean, clean_flagged


def ratio(a, b):
    return a / b if b else None
