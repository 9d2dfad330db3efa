import json
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ...ingest import figures, pdf


class Command(BaseCommand):
    help = "List the figures the extractor finds in one PDF: kind, page, bounding box, caption, image path."

    def add_arguments(self, parser):
        parser.add_argument("pdf")
        parser.add_argument("--json", action="store_true", help="one JSON list, for scripts and checks")
        parser.add_argument("--out", help="folder for the rendered images (default: a new temporary folder)")

    def handle(self, *args, **options):
        out = Path(options["out"] or tempfile.mkdtemp(prefix="figures-"))
        try:
            with pdf.open_pdf(options["pdf"]) as doc:
                found = figures.extract_figures(doc, out, str(out), figures.find_all(doc))
        except pdf.PdfError as exc:
            raise CommandError(str(exc)) from exc
        rows = [{"kind": f["kind"], "page": f["page"], "bbox": f["bbox"], "label": f["label"],
                 "caption": f["caption"], "image": f["image"], "fallback": f["fallback"],
                 "width": f["width"], "height": f["height"], "lead": f["kept"]} for f in found]
        if options["json"]:
            self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        for row in rows:
            x0, y0, x1, y1 = row["bbox"]
            self.stdout.write(f"{row['kind']} p{row['page']} [{x0:.0f} {y0:.0f} {x1:.0f} {y1:.0f}] "
                              f"{row['label'] or '(no label)'}{' (lead)' if row['lead'] else ''}: "
                              f"{row['caption'][:90]}\n    {row['image']} ({row['width']}x{row['height']})")
        self.stdout.write(f"{len(rows)} figure(s); images in {out}")
