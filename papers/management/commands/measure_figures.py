from django.conf import settings
from django.core.management.base import BaseCommand

from ...measurement import figure_measure

DEFAULT_PDFS = settings.BASE_DIR.parent / "shared" / "samples" / "pdfs"
DEFAULT_TRUTH = settings.BASE_DIR / "tests" / "data" / "figures.json"


class Command(BaseCommand):
    help = ("Recall and precision of the figures found and of the captions joined, and the IoU of each region "
            "with its hand-drawn box.")

    def add_arguments(self, parser):
        parser.add_argument("--pdfs", default=str(DEFAULT_PDFS), help="folder with the PDFs named in the truth file")
        parser.add_argument("--truth", default=str(DEFAULT_TRUTH))
        parser.add_argument("--regions", action="store_true", help="print every figure's IoU")

    def handle(self, *args, pdfs, truth, regions, **options):
        rows = figure_measure.measure(pdfs, truth)
        self.stdout.write(f"{'file':<50}{'truth':>6}{'found':>6}{'right':>6}{'caption':>8}{'IoU':>6}"
                          f"{'>=0.85':>7}{'ms/page':>9}")
        for r in rows:
            s = figure_measure.scores([r])
            good = sum(v >= figure_measure.GOOD_IOU for v in r["ious"].values())
            self.stdout.write(f"{r['file'][:49]:<50}{r['expected']:>6}{r['found']:>6}{r['matched']:>6}"
                              f"{r['captions']:>8}{s['mean_iou']:>6.2f}{good:>7}{r['seconds'] * 1000 / r['pages']:>9.1f}")
            if regions:
                for place, value in r["ious"].items():
                    self.stdout.write(f"    {place:<30}{value:>6.2f}")
        for title, subset in (("all", rows), ("vector-only 1111.2011v2", [r for r in rows if "1111.2011" in r["file"]])):
            if not subset:
                continue
            s = figure_measure.scores(subset)
            boxes = sum(len(r["ious"]) for r in subset)
            self.stdout.write(f"{title}: figures recall {s['figure_recall']:.2f} precision {s['figure_precision']:.2f}; "
                              f"captions recall {s['caption_recall']:.2f} precision {s['caption_precision']:.2f}; "
                              f"regions: {s['regions_good']:.0%} of {boxes} with IoU >= {figure_measure.GOOD_IOU}, "
                              f"mean IoU {s['mean_iou']:.2f}")
