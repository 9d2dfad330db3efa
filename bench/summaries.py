"""What the offline summarizer's sections say, read as a reader would. Prints figures; asserts nothing.

    .venv/bin/python bench/summaries.py [--examples N]

On the project's six sample papers (their PDFs and abstracts) and on the abstracts of every paper in the real
ChatPaperFree posts of ../shared/samples/posts (where it is beside the project; abstract only, as for a paper whose
PDF has no text): whether the one-line summary names what the paper made and does in the third person, whether
the takeaways carry the abstract's numeric results, sentences that point back at one not shown, and sentences that
appear in two sections (papers/measurement/summary_measure.py).
"""

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
POSTS = ROOT.parent / "shared" / "samples" / "posts"


def setup_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "digest.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def sample_papers():
    from papers import generation
    from papers.ingest import arxiv_source, figures, pdf
    from papers.models import Paper

    for record in arxiv_source.records_from_feed_file(ROOT / "samples" / "arxiv" / "avatars.xml"):
        with pdf.open_pdf(ROOT / "samples" / "pdfs" / f"{record.arxiv_id}v1.pdf") as doc:
            extraction = pdf.extract_text(doc, figures.find_all(doc))
        paper = Paper(title=record.title, abstract=record.abstract, extraction=extraction, language="en", flags=[])
        yield record.title, record.abstract, generation.paper_text(paper)


def post_abstracts():
    from papers.editorial import posts
    from papers.summarizers.base import PaperText

    seen = set()
    for path in sorted(POSTS.glob("*.md")):
        for entry in posts.parse(path.read_text(encoding="utf-8")).entries:
            if entry.arxiv_id not in seen and entry.abstract:
                seen.add(entry.arxiv_id)
                yield entry.title, entry.abstract, PaperText(entry.title, entry.abstract, "en", {}, text_ok=False)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--examples", type=int, default=3, help="summaries to print from each corpus")
    args = parser.parse_args()
    setup_django()
    from papers.measurement.summary_measure import Measures, plain
    from papers.summarizers import get_summarizer

    summarizer = get_summarizer("extractive")
    corpora = [("the six sample papers", sample_papers())]
    if POSTS.exists():
        corpora.append(("abstracts of the real posts' papers", post_abstracts()))
    for name, papers in corpora:
        measures, examples = Measures(), []
        for title, abstract, text in papers:
            sections = {s.kind: s.text for s in summarizer.summarize(text, "en").sections}
            measures.add(abstract, sections)
            if len(examples) < args.examples:
                examples.append((title, plain(sections["summary"])))
        print(f"offline summaries, {name} ({measures.papers}):")
        for line in measures.lines():
            print(f"  {line}")
        for title, summary in examples:
            print(f"  e.g. {title[:60]}: {summary[:160]}")


if __name__ == "__main__":
    main()
