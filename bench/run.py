"""Benchmarks over the real sample PDFs in ../shared/samples/pdfs. Prints figures; asserts nothing.

    make bench                     # everything
    .venv/bin/python bench/run.py --skip-layout   # without the (slow) layout-model comparison

Figures: time per stage; section detection against tests/data/headings.json; extraction time
per page beside plain page.get_text() and pymupdf4llm's layout model; papers per minute of the
whole offline pipeline on two worker processes; peak memory of one worker on the 28-page PDF.
"""

import argparse
import json
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "samples" / "pdfs"
TRUTH = json.loads((ROOT / "tests" / "data" / "headings.json").read_text())
ABOUT_TEN_PAGES = [
    "1706.03791v1_ieee_2col_raster_figures.pdf",
    "avatar_hifiavatar_ieee_tmm_draft_anonymized.pdf",
    "1111.2011v2_murray_delmaestro_prb_2col.pdf",
    "2303.07610v1_cjk_2col_belle.pdf",
]
THIRTY_PAGES = "quant-ph_9508027v2_shor_1col_oldstyle_id.pdf"


def setup_django(var_dir):
    os.environ["VAR_DIR"] = str(var_dir)
    os.environ["DB_NAME"] = str(Path(var_dir) / "bench.sqlite3")
    os.environ["MEDIA_ROOT"] = str(Path(var_dir) / "media")
    os.environ["LOG_LEVEL"] = "WARNING"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "digest.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def timed(func, *args):
    started = time.perf_counter()
    result = func(*args)
    return result, time.perf_counter() - started


def stages_and_sections():
    from papers import generation
    from papers.editorial import quality
    from papers.ingest import figures as figure_finder
    from papers.ingest import headings, pdf
    from papers.models import Paper
    from papers.summarizers import get_summarizer

    print("\n== Time per stage (one core) and section detection ==")
    print(f"{'pdf':<52}{'pages':>6}{'open':>8}{'text':>8}{'find fig':>9}{'render':>8}{'summ.':>8}{'checks':>8}"
          "   headings found / in order / true")
    totals = {"found": 0, "ordered": 0, "true": 0}
    pages_total = [0, 0.0, 0.0]
    summarizer = get_summarizer("extractive")
    for path in sorted(SHARED.glob("*.pdf")):
        doc, t_open = timed(pdf.open_pdf, path)
        found, t_find = timed(figure_finder.find_all, doc)
        extraction, t_text = timed(pdf.extract_text, doc, found)
        figures, t_fig = timed(figure_finder.extract_figures, doc, tempfile.mkdtemp(), "bench", found)
        pages_total[0] += doc.page_count
        pages_total[1] += t_find
        pages_total[2] += t_fig
        paper = Paper(title=path.stem, abstract="A placeholder abstract for timing. It has two sentences.",
                      extraction=extraction, language=extraction["quality"]["language"], flags=extraction["flags"])
        result, t_sum = timed(summarizer.summarize, generation.paper_text(paper), "zh")
        _, t_check = timed(lambda: [quality.check_section(s.kind, s.text) for s in result.sections])
        truth = TRUTH[path.name]
        found, ordered = headings.score(extraction["headings"], truth)
        totals["found"] += found
        totals["ordered"] += ordered
        totals["true"] += len(truth)
        note = " ".join(f["code"] for f in extraction["flags"])
        print(f"{path.name[:50]:<52}{doc.page_count:>6}{t_open*1000:>7.1f}m{t_text*1000:>7.0f}m{t_find*1000:>8.0f}m"
              f"{t_fig*1000:>7.0f}m"
              f"{t_sum*1000:>7.0f}m{t_check*1000:>7.1f}m   {found} / {ordered} / {len(truth)} {note}")
        doc.close()
    print(f"(m = milliseconds) Headings: {totals['found']} of {totals['true']} true headings found, "
          f"{totals['ordered']} in the right order.")
    pages, t_find, t_render = pages_total
    print(f"Figures over {pages} pages: finding {t_find / pages * 1000:.1f} ms/page, rendering (WebP, PNG, "
          f"thumbnail) {t_render / pages * 1000:.1f} ms/page, {(t_find + t_render) / pages * 1000:.1f} ms/page in all.")


def extraction_speed(skip_layout):
    import pymupdf

    from papers.ingest import figures as figure_finder
    from papers.ingest import headings, pdf

    print("\n== Extraction speed per page (one core) ==")
    text_pdfs = [p for p in sorted(SHARED.glob("*.pdf")) if TRUTH[p.name]]
    pages = sum(pymupdf.open(p).page_count for p in text_pdfs)

    def plain():
        for p in text_pdfs:
            with pymupdf.open(p) as doc:
                for page in doc:
                    page.get_text()

    def ours():
        for p in text_pdfs:
            with pdf.open_pdf(p) as doc:
                pdf.extract_text(doc, figure_finder.find_all(doc))

    runs = {}
    for name, func in [("plain page.get_text()", plain), ("papers.ingest.pdf.extract_text", ours)]:
        best = min(timed(func)[1] for _ in range(3))
        runs[name] = best
        print(f"{name:<28} {best / pages * 1000:7.2f} ms/page  {pages / best:7.0f} pages/s  ({pages} pages, best of 3)")
    print(f"extract_text costs {runs['papers.pdf.extract_text'] / runs['plain page.get_text()']:.1f}x plain text "
          "(it reads spans with font sizes to find headings)")
    if skip_layout:
        return
    try:
        import pymupdf4llm
    except ImportError:
        print("pymupdf4llm not installed: layout-model comparison skipped")
        return
    found = true = 0
    started = time.perf_counter()
    for p in text_pdfs:
        markdown = pymupdf4llm.to_markdown(str(p), show_progress=False)
        heads = [line.lstrip("#").strip().strip("*_ ") for line in markdown.splitlines() if line.startswith("#")]
        f, _ = headings.score(heads, TRUTH[p.name])
        found, true = found + f, true + len(TRUTH[p.name])
    elapsed = time.perf_counter() - started
    print(f"{'pymupdf4llm.to_markdown':<28} {elapsed / pages * 1000:7.2f} ms/page  {pages / elapsed:7.1f} pages/s  "
          f"({elapsed / runs['plain page.get_text()']:.0f}x plain); its '#' headings match {found} of {true} true ones")


def _init_worker():
    from django.db import connections

    connections.close_all()


def _process(pk):
    from papers import pipeline

    return pipeline.process_paper(pk)


def throughput(copies):
    from django.conf import settings
    from django.db import connections

    from papers import pipeline
    from papers.ingest import fetching
    from papers.models import Paper, Topic

    print("\n== Whole offline pipeline, two worker processes ==")
    topic = Topic.objects.create(name="Bench", slug=f"bench-{time.time_ns()}", query="x")
    ids = []
    for n in range(copies):
        for name in ABOUT_TEN_PAGES:
            arxiv_id = f"2999.{len(ids):05d}"
            target = settings.MEDIA_ROOT / pipeline.pdf_relpath(arxiv_id, 1)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(SHARED / name, target)
            # A known licence: the bench stays offline (no OAI-PMH request).
            paper = Paper.objects.create(arxiv_id=arxiv_id, title=name, abstract="Bench abstract. Two sentences.",
                                         abs_url="https://arxiv.org/abs/x", pdf_url="https://arxiv.org/pdf/x",
                                         license=fetching.SAMPLES_LICENCE)
            paper.topics.add(topic)
            ids.append(paper.pk)
    pages = sum(__import__("pymupdf").open(SHARED / n).page_count for n in ABOUT_TEN_PAGES) * copies
    connections.close_all()
    started = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(2, initializer=_init_worker) as pool:
        states = pool.map(_process, ids, chunksize=1)
    elapsed = time.perf_counter() - started
    assert set(states) == {"drafted"}, states
    print(f"{len(ids)} papers ({pages / len(ids):.1f} pages on average) in {elapsed:.1f} s: "
          f"{len(ids) / elapsed * 60:.0f} papers/minute (target >= 30)")


def memory():
    print("\n== Peak memory of one worker ==")
    result = subprocess.run([sys.executable, __file__, "--memory-child"], capture_output=True, text=True, check=True)
    print(result.stdout.strip())


def peak_rss_mb():
    """This process's peak RSS. Not getrusage: its ru_maxrss survives exec from the parent."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def memory_child():
    from django.conf import settings
    from django.core.management import call_command

    from papers import pipeline
    from papers.models import Paper

    call_command("migrate", verbosity=0)
    baseline = peak_rss_mb()
    target = settings.MEDIA_ROOT / pipeline.pdf_relpath("2999.99999", 1)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(SHARED / THIRTY_PAGES, target)
    paper = Paper.objects.create(arxiv_id="2999.99999", title="Shor", abstract="Bench abstract. Two sentences.",
                                 abs_url="https://arxiv.org/abs/x", pdf_url="https://arxiv.org/pdf/x")
    stage = pipeline.process_paper(paper.pk)
    peak = peak_rss_mb()
    print(f"{THIRTY_PAGES} (28 pages) -> {stage}: peak RSS {peak:.0f} MB "
          f"(Django loaded: {baseline:.0f} MB; target < 300 MB)")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--skip-layout", action="store_true")
    parser.add_argument("--copies", type=int, default=10, help="copies of each ~10-page PDF for throughput")
    parser.add_argument("--memory-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not SHARED.exists():
        sys.exit("../shared/samples/pdfs is absent: the benchmark runs on the real sample PDFs")
    with tempfile.TemporaryDirectory() as var_dir:
        setup_django(var_dir)
        if args.memory_child:
            memory_child()
            return
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        stages_and_sections()
        print("\n== Figures against the hand count and hand-drawn boxes (tests/data/figures.json) ==")
        call_command("measure_figures", pdfs=str(SHARED), truth=str(ROOT / "tests" / "data" / "figures.json"),
                     regions=True)
        print("\n== The same on the project's samples (tests/data/sample_figures.json) ==")
        call_command("measure_figures", pdfs=str(ROOT / "samples"),
                     truth=str(ROOT / "tests" / "data" / "sample_figures.json"), regions=True)
        extraction_speed(args.skip_layout)
        throughput(args.copies)
        memory()


if __name__ == "__main__":
    main()
