"""How well the `unsupported` check finds sentences that the paper does not support. Prints figures; asserts nothing.

    .venv/bin/python bench/unsupported.py

For each paper (the project's six samples, and the text PDFs of ../shared/samples/pdfs where they are beside it),
the offline summarizer writes the sections; then sentences taken from another paper (its abstract and its method)
are planted in the key takeaways. Precision and recall of `unsupported` count planted sentences flagged (true),
the paper's own sentences flagged (false) and planted ones missed; time is the check's alone, per paper.
"""

import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "samples" / "pdfs"
PLANTED_PER_PAPER = 6


def setup_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "digest.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def papers():
    """(name, title, abstract, extraction, sections) for every paper with text."""
    from papers import generation
    from papers.ingest import arxiv_source, figures, pdf
    from papers.models import Paper
    from papers.summarizers import get_summarizer

    inputs = [(f"samples/{r.arxiv_id}", r.title, r.abstract, ROOT / "samples" / "pdfs" / f"{r.arxiv_id}v1.pdf")
              for r in arxiv_source.records_from_feed_file(ROOT / "samples" / "arxiv" / "avatars.xml")]
    truth = json.loads((ROOT / "tests" / "data" / "headings.json").read_text())
    if SHARED.exists():
        inputs += [(f"shared/{name}", name, "", SHARED / name) for name, heads in truth.items()
                   if not name.startswith("_") and heads]
    for name, title, abstract, path in inputs:
        with pdf.open_pdf(path) as doc:
            extraction = pdf.extract_text(doc, figures.find_all(doc))
        paper = Paper(title=title, abstract=abstract, extraction=extraction, language="en", flags=[])
        written = get_summarizer("extractive").summarize(generation.paper_text(paper), "en")
        yield name, abstract, extraction, {s.kind: s.text for s in written.sections}


def foreign_sentences(abstract, extraction):
    from papers.editorial import evidence

    method = " ".join(s["text"] for s in extraction.get("sections", []) if s["kind"] == "method")
    candidates = evidence.sentences(abstract)[1:] + evidence.sentences(method)
    return [s for s in candidates if 60 <= len(s) <= 300][:PLANTED_PER_PAPER]


def main():
    setup_django()
    from papers.editorial import evidence

    corpus = list(papers())
    true = false = missed = own = 0
    seconds = []
    for i, (name, abstract, extraction, sections) in enumerate(corpus):
        other = corpus[(i + 1) % len(corpus)]
        planted = foreign_sentences(other[1], other[2])
        takeaways = sections.get("key_takeaways", "") + "".join(f"\n- {s}" for s in planted)
        passages = evidence.passages_of(abstract, extraction)
        texts = {**sections, "key_takeaways": takeaways}
        started = time.perf_counter()
        flagged = {kind: evidence.unsupported(text, passages) for kind, text in texts.items()}
        seconds.append(time.perf_counter() - started)
        for kind, text in texts.items():
            spans = [(f["start"], f["end"]) for f in flagged[kind]]
            for start, end in evidence.sentence_spans(text):
                is_planted = kind == "key_takeaways" and text[start:end] in planted
                hit = (start, end) in spans
                own += not is_planted
                true += is_planted and hit
                missed += is_planted and not hit
                false += hit and not is_planted
    precision = true / (true + false) if true + false else 1.0
    recall = true / (true + missed) if true + missed else 1.0
    print(f"unsupported check over {len(corpus)} papers ({own} of their own sentences, {true + missed} planted):")
    print(f"  precision {precision:.2f}  recall {recall:.2f}  ({true} found, {false} false, {missed} missed)")
    print(f"  time per paper: median {sorted(seconds)[len(seconds) // 2] * 1000:.1f} ms, "
          f"max {max(seconds) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
