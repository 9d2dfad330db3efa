from django.conf import settings
from django.core.management.base import BaseCommand

from ...measurement import figure_measure

DEFAULT_PDFS = settings.BASE_DIR.parent / "shared" / "samples" / "pdfs"
DEFAULT_TRUTH = settings.BASE_DIR / "tests" / "data" / "figures.json"


class Command(BaseCommand):
    help = "Recall and precision of the figures found, and of the captions joined, against a hand count."

    def add_arguments(self, parser):
        parser.add_argument("--pdfs", default=str(DEFAULT_PDFS), help="folder with the PDFs named in the truth file")
        parser.add_argument("--truth", default=str(DEFAULT_TRUTH))

    def handle(self, *args, pdfs, truth, **options):
        rows = figure_measure.measure(pdfs, truth)
        self.stdout.write(f"{'file':<52}{'truth':>6}{'found':>6}{'right':>6}{'caption':>8}{'ms/page':>9}")
        for r in rows:
            self.stdout.write(f"{r['file'][:51]:<52}{r['expected']:>6}{r['found']:>6}{r['matched']:>6}"
                              f"{r['captions']:>8}{r['seconds'] * 1000 / r['pages']:>9.1f}")
        for title, subset in (("all", rows), ("vector-only 1111.2011v2", [r for r in rows if "1111.2011" in r["file"]])):
            s = figure_measure.scores(subset)
            self.stdout.write(f"{title}: figures recall {s['figure_recall']:.2f} precision {s['figure_precision']:.2f}; "
                              f"captions recall {s['caption_recall']:.2f} precision {s['caption_precision']:.2f}")
