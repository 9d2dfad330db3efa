"""An editor's correction of a figure's region, drawn on the rendered page.

The figure is rendered again from the paper's PDF (in a child process, as every reading of a PDF is); the figure
as it was stays, marked replaced, in the paper's history and, if readers see it, on the public site until a
publisher publishes the paper again.
"""

import pymupdf
from django.conf import settings
from django.db import transaction

from .. import lifecycle
from ..ingest import figures, isolation, pdf
from ..models import Figure
from .review import ReviewError

MIN_SIDE = 10  # points: less is a slip of the mouse, not a figure
PAGE_DPI = 100  # the page an editor draws on: readable, and light enough to load on the review page
# The new figure's place while the old one still holds its position: past the positions editors set (below
# 10000) and set_figures' parking places (position + 10000), one per position.
REPLACED_ORDER = 20000


def parse(text):
    """ "x0, y0, x1, y1" in points, as the review page's box holds it."""
    try:
        x0, y0, x1, y1 = (float(part) for part in text.replace(",", " ").split())
    except ValueError:
        raise ReviewError("Give a figure's region as four numbers in points: left, top, right, bottom.") from None
    return [x0, y0, x1, y1]


def as_text(bbox):
    return ", ".join(f"{v:g}" for v in bbox)


def _isolated(func, *args):
    try:
        return isolation.run_isolated(func, *args, timeout=settings.PDF_EXTRACT_TIMEOUT_SECONDS,
                                      memory_bytes=settings.PDF_EXTRACT_MEMORY_MB * 2**20,
                                      expected=(pdf.PdfError, ReviewError))
    except isolation.IsolatedError as exc:
        raise ReviewError(f"Reading the PDF {exc}.") from exc


def _pdf(paper):
    path = paper.pdf_path()
    if not path or not path.exists():
        raise ReviewError("The paper's PDF is no longer stored, so its figures cannot be drawn again.")
    return path


def _page_sizes(path):
    with pdf.open_pdf(path) as doc:
        return {page.number + 1: (round(page.rect.width, 1), round(page.rect.height, 1)) for page in doc}


def page_sizes(paper):
    """{page: (width, height) in points}, or {} when the PDF is gone (the page then offers no correction)."""
    try:
        return _isolated(_page_sizes, _pdf(paper))
    except (ReviewError, pdf.PdfError):
        return {}


def _page_png(path, number):
    with pdf.open_pdf(path) as doc:
        if not 1 <= number <= doc.page_count:
            raise ReviewError(f"The PDF has no page {number}.")
        return doc[number - 1].get_pixmap(dpi=PAGE_DPI, alpha=False).tobytes("png")


def page_png(paper, number):
    return _isolated(_page_png, _pdf(paper), number)


def _render(path, figure, bbox):
    with pdf.open_pdf(path) as doc:
        page = doc[figure["page"] - 1]
        rect = pymupdf.Rect(bbox) & page.rect
        if rect.is_empty or rect.width < MIN_SIDE or rect.height < MIN_SIDE:
            raise ReviewError(f"A figure's region must lie on its page ({page.rect.width:g} × {page.rect.height:g} "
                              f"pt) and be at least {MIN_SIDE} pt wide and high.")
        found = figures.Found(figure["page"], rect, figure["label"], figure["caption"])
        files = figures.render(doc, found, settings.MEDIA_ROOT / figures.MEDIA_FOLDER, figures.MEDIA_FOLDER)
        return found.bbox, files


def set_region(figure_id, bbox, expected_sha256, user):
    """Draw the figure again from `bbox` on its page. `expected_sha256` is the picture the editor saw: if another
    editor corrected it meanwhile, theirs stands and this one is refused. Returns the new figure, or None when
    the region draws the same picture."""
    figure = Figure.objects.select_related("paper").get(pk=figure_id)
    paper = figure.paper
    bbox, files = _isolated(_render, _pdf(paper), {"page": figure.page, "label": figure.label,
                                                   "caption": figure.caption}, bbox)
    if files["sha256"] == figure.sha256:
        return None
    stale = ReviewError(f"Another editor corrected {figure.label or 'this figure'} meanwhile; yours was not saved. "
                        f"Reload the page to see theirs; your region was {as_text(bbox)}.")
    with transaction.atomic():
        new = Figure.objects.create(
            paper=paper, paper_version=figure.paper_version, order=REPLACED_ORDER + figure.order, kind=figure.kind,
            page=figure.page, bbox=bbox, label=figure.label, caption=figure.caption, **files)
        # The claim: the row as the editor saw it, not yet replaced (a refusal rolls the new row back).
        if not Figure.objects.filter(pk=figure.pk, sha256=expected_sha256, replaced_by=None).update(replaced_by=new):
            raise stale
        # Read after the claim, so a choice of figures saved while this one was drawn is carried over, not undone.
        old = Figure.objects.get(pk=figure.pk)
        Figure.objects.filter(pk=old.pk).update(kept=False)
        Figure.objects.filter(pk=new.pk).update(order=old.order, kept=old.kept)
        lifecycle.log_event(paper, "figures", "done", f"{old.label or 'figure'} (p. {old.page}) region "
                            f"{as_text(old.bbox)} corrected to {as_text(bbox)}", user=user)
        lifecycle.back_to_review(paper, user, "figure region corrected")
    return new
