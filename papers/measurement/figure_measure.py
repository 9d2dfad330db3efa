"""How well the figure extractor does against figures counted and boxed by hand (tests/data/*figures.json)."""

import json
import time
import unicodedata
from pathlib import Path

import pymupdf

from ..ingest import figures, pdf

GOOD_IOU = 0.85  # a region this close to the hand-drawn box shows the whole figure and little else


def normalized(text):
    return " ".join(unicodedata.normalize("NFKC", text).split()).lower()


def iou(a, b):
    a, b = pymupdf.Rect(a), pymupdf.Rect(b)
    inter = a & b
    if inter.is_empty:
        return 0.0
    shared = inter.width * inter.height
    return shared / (a.width * a.height + b.width * b.height - shared)


def measure(pdf_dir, truth_file):
    """Per file: figures found (page and label match), captions joined (their opening words), and each hand-drawn
    box's IoU with the region found for it (0 where the figure was not found)."""
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
        by_place = {(f.page, f.label): f for f in found}
        matched = [f for f in found if (f.page, f.label) in wanted]
        captions = [f for f in matched
                    if normalized(f.caption).startswith(normalized(wanted[(f.page, f.label)]["caption"]))]
        ious = {f"{place[1]} (p. {place[0]})": iou(by_place[place].rect, want["box"]) if place in by_place else 0.0
                for place, want in wanted.items()}
        rows.append({"file": name, "expected": len(wanted), "found": len(found), "matched": len(matched),
                     "captions": len(captions), "pages": pages, "seconds": seconds, "ious": ious})
    return rows


def scores(rows):
    expected = sum(r["expected"] for r in rows)
    found = sum(r["found"] for r in rows)
    matched = sum(r["matched"] for r in rows)
    captions = sum(r["captions"] for r in rows)
    ious = [v for r in rows for v in r["ious"].values()]
    return {
        "figure_recall": matched / expected if expected else 1.0,
        "figure_precision": matched / found if found else 1.0,
        "caption_recall": captions / expected if expected else 1.0,
        "caption_precision": captions / found if found else 1.0,
        "regions_good": sum(v >= GOOD_IOU for v in ious) / len(ious) if ious else 1.0,
        "mean_iou": sum(ious) / len(ious) if ious else 1.0,
    }
