"""How well the figure extractor does against figures counted by hand (tests/data/figures.json)."""

import json
import time
import unicodedata
from pathlib import Path

from ..ingest import figures, pdf


def normalized(text):
    return " ".join(unicodedata.normalize("NFKC", text).split()).lower()


def measure(pdf_dir, truth_file):
    """Per file and overall: figures found (page and label match) and captions joined (their opening words)."""
    truth = json.loads(Path(truth_file).read_text())
    rows = []
    for name, expected in truth.items():
        if name.startswith("_"):
            continue
        with pdf.open_pdf(Path(pdf_dir) / name) as doc:
            started = time.perf_counter()
            found = figures.find_all(doc)
            seconds = time.perf_counter() - started
            pages = doc.page_count
        wanted = {(f["page"], f["label"]): f for f in expected["figures"]}
        matched = [f for f in found if (f.page, f.label) in wanted]
        captions = [f for f in matched
                    if normalized(f.caption).startswith(normalized(wanted[(f.page, f.label)]["caption"]))]
        rows.append({"file": name, "expected": len(wanted), "found": len(found), "matched": len(matched),
                     "captions": len(captions), "pages": pages, "seconds": seconds})
    return rows


def scores(rows):
    expected = sum(r["expected"] for r in rows)
    found = sum(r["found"] for r in rows)
    matched = sum(r["matched"] for r in rows)
    captions = sum(r["captions"] for r in rows)
    return {
        "figure_recall": matched / expected if expected else 1.0,
        "figure_precision": matched / found if found else 1.0,
        "caption_recall": captions / expected if expected else 1.0,
        "caption_precision": captions / found if found else 1.0,
    }
