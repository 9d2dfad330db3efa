"""Figures, found from their captions: raster images and vector plots alike.

A figure is what a caption names. From each caption ("Figure 3:", "Fig. 3.", "FIG. 3.", "图 3") we take
the graphics in its column (embedded images and vector paths) between the caption
and the nearest running text or other caption, above the caption or else below it, and render that region
with a clip. So a composite of many images is one figure, and logos, icons, equations, table rules and page
decorations, which no caption names, are left out. Tables are not extracted: their text stays in the text.
"""

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import pymupdf
from django.conf import settings
from PIL import Image

from .pdf import CONTROL_RE, TEXT_ONLY, body_size

# "Figure 3:", "Fig. 3.", "FIG. 3.", "Figure 5.1:", and in appendices and supplements "Figure B.1:", "Figure S3:",
# "Fig. 2a." start a caption; "Figure 3 shows" is running text.
APPENDIX = r"(?:(?-i:[A-Z])\.?)?"  # the capital of an appendix or supplement: "B.1", "S3"
NUMBER = rf"{APPENDIX}\d+(?:\.\d+)?[a-z]?"
CAPTION_RE = re.compile(
    rf"^\s*(?:(?:fig\.?|figure)\s*(?P<number>{NUMBER})(?=\s*[:.|])|图\s*(?P<cjk>\d+))", re.I
)
# Any caption, tables included, bounds the figure next to it.
ANY_CAPTION_RE = re.compile(rf"^\s*(?:fig\.?|figure|table|tab\.|图|表)\s*{APPENDIX}[\dIVX]", re.I)
TABLE_CAPTION_RE = re.compile(rf"^\s*(?:table|tab\.|表)\s*{APPENDIX}[\dIVX]", re.I)
RENDER_DPI = 150
# Under MEDIA_ROOT. Figure files are named by the hash of their pixels, so a figure unchanged in a new version
# (or shared by two papers, or drawn again by an editor with the same region) is stored once.
MEDIA_FOLDER = "figures"
MAX_FIGURE_SIDE = 2000  # pixels: a readable figure, and a cap on what one page can make us render
LABEL_MARGIN = 12  # points: axis labels and legends sit just outside a plot's drawings
AXIS_TITLE_MARGIN = 36  # points: an axis title ("P", "Loss") may stand further out, beside the plot
INK_DPI = 72  # enough to find where the ink ends, to the point
INK_THRESHOLD = 245  # of 255: paler than this is paper


@dataclass
class TextLine:
    rect: pymupdf.Rect
    size: float
    text: str
    starts_block: bool


@dataclass
class Found:
    page: int  # 1-based
    rect: pymupdf.Rect
    label: str
    caption: str
    kind: str = "figure"
    parts: int = field(default=1, repr=False)  # images and drawing clusters joined into it

    @property
    def bbox(self):
        return [round(v, 1) for v in self.rect]


def label_of(match):
    return f"图 {match['cjk']}" if match["cjk"] else f"Figure {match['number']}"


def _line_text(raw):
    return " ".join(CONTROL_RE.sub("", "".join(s["text"] for s in raw["spans"])).split())


def _text(page):
    lines, captions = [], []
    for block in page.get_text("dict", flags=TEXT_ONLY)["blocks"]:
        block_lines = [ln for ln in block.get("lines", []) if ln["dir"][0] > 0.99 and _line_text(ln)]
        for i, raw in enumerate(block_lines):
            text = _line_text(raw)
            size = max((s["size"] for s in raw["spans"] if s["text"].strip()), default=0)
            line = TextLine(pymupdf.Rect(raw["bbox"]), size, text, i == 0)
            lines.append(line)
            # A caption starts a block, or follows a sub-figure label such as "(b)" in the same block.
            starts = i == 0 or len(block_lines[i - 1]["spans"]) and \
                pymupdf.Rect(block_lines[i - 1]["bbox"]).width < 0.4 * pymupdf.Rect(block["bbox"]).width
            match = CAPTION_RE.match(text)
            if match and starts:
                rest = block_lines[i:]
                rect = pymupdf.Rect(rest[0]["bbox"])
                for other in rest[1:]:
                    rect |= pymupdf.Rect(other["bbox"])
                caption = " ".join(_line_text(ln) for ln in rest)
                captions.append((rect, label_of(match), caption))
                break
    return lines, captions


def _graphics(page):
    """Images and vector paths, outside tables, without the page-sized image of a scan.

    Paths one by one, not pymupdf's clusters: a cluster can join a plot to the table rules
    in the next column."""
    area = page.rect.width * page.rect.height
    found = []
    for info in page.get_image_info():
        rect = pymupdf.Rect(info["bbox"]) & page.rect
        if not rect.is_empty and rect.width * rect.height >= 16 and rect.width * rect.height < 0.6 * area:
            found.append(rect)
    for path in page.get_drawings():
        if path["type"] == "f" and path["fill"] == (1.0, 1.0, 1.0):
            continue  # a white background: it draws nothing, but can be as wide as the page
        rect = path["rect"]
        if min(rect.width, rect.height) < 1:  # a line: give it its stroke's width, or a union would drop it
            half = (path.get("width") or 1) / 2
            rect = rect + (-half, -half, half, half)
        rect &= page.rect
        if not rect.is_empty and max(rect.width, rect.height) >= 1:
            found.append(rect)
    return found


def _column(rect, page):
    """The horizontal span a caption speaks for: both columns if it is wide or centred, else its own."""
    width = page.rect.width
    if rect.width > 0.55 * width or (rect.x0 < 0.45 * width and rect.x1 > 0.55 * width):
        return page.rect.x0, page.rect.x1
    slack = 0.03 * width  # a figure may stand a little into the gutter
    if (rect.x0 + rect.x1) / 2 < width / 2:
        return page.rect.x0, width / 2 + slack
    return width / 2 - slack, page.rect.x1


def _tables(page, lines, graphics, body):
    """Where tables are: from a "Table N" caption down through rows of short lines and rules, to the first gap,
    paragraph or picture.

    pymupdf's find_tables would do it better, at 250-650 ms a page; this costs nothing."""
    rules = [g for g in graphics if g.height < 2.5]
    tables = []
    for caption in lines:
        if not (caption.starts_block and TABLE_CAPTION_RE.match(caption.text)):
            continue
        x0, x1 = _column(caption.rect, page)
        # A short caption centred over a table as wide as the page: its first rule says how wide it is.
        centre = (caption.rect.x0 + caption.rect.x1) / 2
        first = min((r for r in rules if 0 < r.y0 - caption.rect.y1 < 40 and r.x0 <= centre <= r.x1),
                    key=lambda r: r.y0, default=None)
        if first and _spans_the_middle(first, page):
            x0, x1 = page.rect.x0, page.rect.x1

        def inside(r):
            return r.y0 > caption.rect.y0 and r.x0 >= x0 - 2 and r.x1 <= x1 + 2

        # A picture or plot below the table ends it; a frame drawn right under the caption is the table's own.
        picture = min((g.y0 for g in graphics if inside(g) and g.width >= 20 and g.height >= 20
                       and g.y0 - caption.rect.y1 >= 15), default=page.rect.y1)
        text_column = min(x1 - x0, page.rect.width / 2)
        rows = [(ln.rect, _prose(ln, body, text_column)) for ln in lines if inside(ln.rect)]
        rows += [(r, False) for r in rules if inside(r)]
        bottom = caption.rect.y1
        for rect, prose in sorted(rows, key=lambda row: row[0].y0):
            if rect.y0 - bottom > 12 or rect.y1 > picture + 1 or (prose and rect.y0 > bottom - 1):
                break
            bottom = max(bottom, rect.y1)
        tables.append(pymupdf.Rect(x0, caption.rect.y0, x1, bottom))
    return tables


def _prose(line, body, column_width):
    """Running text stops a figure; chart labels, even in body type, are short."""
    words = len(line.text.split())
    cjk = sum(1 for ch in line.text if "\u4e00" <= ch <= "\u9fff")
    # Prose is set tight: about half an em per character. Labels spread across a figure are not.
    dense = (len(line.text) + cjk) * line.size * 0.5 >= 0.7 * line.rect.width
    return (line.size >= body * 0.9 and line.rect.width >= 0.45 * column_width
            and (words >= 6 or cjk >= 12) and dense)


def _spans_the_middle(rect, page):
    return rect.x0 < 0.45 * page.rect.width and rect.x1 > 0.55 * page.rect.width


def _wide_figure(caption, graphics, lines, page):
    """A short caption under a figure as wide as the page still speaks for all of it.

    The graphics just above the caption cross the page's middle; or the other half holds graphics that end
    just above the caption's line and nothing beside the caption (two panels with a shared caption), where in a
    two-column page it would hold the other column's text or the next panel of its own figure."""
    near = [g for g in graphics if caption.y0 - 40 <= g.y1 <= caption.y0 + 2
            and min(g.x1, caption.x1) > max(g.x0, caption.x0)]
    if any(_spans_the_middle(g, page) for g in near):
        return True
    middle = page.rect.width / 2
    left = (caption.x0 + caption.x1) / 2 < middle

    def other_half(r):
        return r.x0 >= middle if left else r.x1 <= middle

    if not any(other_half(g) and caption.y0 - 40 <= g.y1 <= caption.y0 + 2 for g in graphics):
        return False
    band = pymupdf.Rect(page.rect.x0, caption.y0, page.rect.x1, caption.y1)
    return not any(other_half(r) and r.intersects(band) for r in graphics + [ln.rect for ln in lines])


def _page_number(line, first_bottom, last_top):
    """A number alone above or below everything else: the page's number, not a tick label."""
    return line.text.isdigit() and (line.rect.y0 >= last_top or line.rect.y1 <= first_bottom)


def ink(page, rect):
    """The part of the rectangle where something is drawn: a figure's white margins are paper, not figure."""
    zoom = INK_DPI / 72
    pix = page.get_pixmap(matrix=pymupdf.Matrix(zoom, zoom), clip=rect, alpha=False, colorspace=pymupdf.csGRAY)
    image = Image.frombytes("L", (pix.width, pix.height), pix.samples)
    box = image.point(lambda v: 255 if v < INK_THRESHOLD else 0).getbbox()
    if box is None:
        return None
    x0, y0, x1, y1 = box
    # The pixmap starts at the pixel edge at or before the rectangle's (pix.x, pix.y, in pixels of the page).
    return pymupdf.Rect((pix.x + x0) / zoom, (pix.y + y0) / zoom, (pix.x + x1) / zoom, (pix.y + y1) / zoom) & rect


def find_figures(page):
    """Every captioned figure on one page, top to bottom."""
    lines, captions = _text(page)
    if not captions:
        return []
    body = body_size(lines)
    graphics = _graphics(page)
    tables = _tables(page, lines, graphics, body)
    graphics = [g for g in graphics if not any(t.intersects(g) and t.contains(g.tl) for t in tables)]
    first_bottom, last_top = min(ln.rect.y1 for ln in lines), max(ln.rect.y0 for ln in lines)
    found = []
    for rect, label, caption in captions:
        x0, x1 = _column(rect, page)
        wide = (x0, x1) == (page.rect.x0, page.rect.x1)
        if not wide and _wide_figure(rect, graphics, lines, page):
            x0, x1, wide = page.rect.x0, page.rect.x1, True
        middle = page.rect.width / 2

        def in_column(r):
            return min(r.x1, x1) - max(r.x0, x0) >= 0.5 * r.width

        stops = [ln.rect for ln in lines if in_column(ln.rect) and not ln.rect.intersects(rect) and (
            (ln.starts_block and ANY_CAPTION_RE.match(ln.text)) or
            (_prose(ln, body, x1 - x0) and not any(g.contains(ln.rect) for g in graphics)))]
        stops += [t for t in tables if in_column(t)]
        top = max((s.y1 for s in stops if s.y1 <= rect.y0 + 1), default=page.rect.y0)
        # A drawing may reach into its caption (a frame, a stray path): "above" is where it starts.
        parts = [g for g in graphics if in_column(g) and g.y0 >= top - 2 and g.y0 < rect.y0 - 5 and g.y1 <= rect.y1]
        lower, upper = top, rect.y0
        if not parts:  # the caption is above its figure
            bottom = min((s.y0 for s in stops if s.y0 >= rect.y1 - 1), default=page.rect.y1)
            parts = [g for g in graphics if in_column(g) and g.y1 > rect.y1 + 5 and g.y0 >= rect.y0
                     and g.y1 <= bottom + 2]
            lower, upper = rect.y1, bottom
        if not parts:
            continue
        region = pymupdf.Rect(parts[0])
        for part in parts[1:]:
            region |= part
        # Labels drawn next to the graphics (axes, legends, sub-figure letters) belong to the figure.
        for _ in range(2):
            near = region + (-LABEL_MARGIN, -LABEL_MARGIN, LABEL_MARGIN, LABEL_MARGIN)
            beside = region + (-AXIS_TITLE_MARGIN, 0, AXIS_TITLE_MARGIN, 0)
            for line in lines:
                # An axis title stands on its figure's side of the gutter; a short line beyond it is the other
                # column's (a section number). Numbers come only from close by: further out they are line numbers.
                short = (len(line.text.split()) <= 3 and line.rect.width < AXIS_TITLE_MARGIN
                         and not any(ch.isdigit() for ch in line.text)
                         and (wide or (line.rect.x1 <= middle if x0 == page.rect.x0 else line.rect.x0 >= middle)))
                if ((line.rect.intersects(near) or short and line.rect.intersects(beside))
                        and in_column(line.rect) and not line.rect.intersects(rect)
                        and line.rect.y0 >= lower - 2 and line.rect.y1 <= upper + 2
                        and not _prose(line, body, x1 - x0)
                        and not _page_number(line, first_bottom, last_top)):
                    region |= line.rect
        region &= pymupdf.Rect(x0, page.rect.y0, x1, page.rect.y1)
        if upper == rect.y0:
            region.y1 = min(region.y1, rect.y0)
        else:
            region.y0 = max(region.y0, rect.y1)
        region = None if region.is_empty else ink(page, region)
        if region is None or region.width * region.height < 0.005 * page.rect.width * page.rect.height:
            continue
        found.append(Found(page.number + 1, region, label, caption[:2000], parts=len(parts)))
    return sorted(found, key=lambda f: (f.rect.y0, f.rect.x0))


def find_all(doc):
    return [figure for page in doc for figure in find_figures(page)]


def render(doc, figure, out_dir, url_prefix):
    """Write the figure once, named by the hash of its pixels: WebP, a PNG fallback and a WebP thumbnail."""
    page = doc[figure.page - 1]
    rect = figure.rect
    zoom = min(RENDER_DPI / 72, MAX_FIGURE_SIDE / max(rect.width, rect.height))
    pix = page.get_pixmap(matrix=pymupdf.Matrix(zoom, zoom), clip=rect, alpha=False)
    digest = hashlib.sha256(pix.samples).hexdigest()
    folder = Path(out_dir) / digest[:2]
    name = f"{digest[:2]}/{digest}"
    if not (folder / f"{digest}.thumb.webp").exists():
        folder.mkdir(parents=True, exist_ok=True)
        image = Image.frombytes("RGB", (pix.width, pix.height), pix.samples)
        image.save(folder / f"{digest}.webp", "WEBP", quality=85)
        image.save(folder / f"{digest}.png", "PNG", compress_level=6)
        thumb = image.copy()
        thumb.thumbnail((settings.FIGURE_THUMBNAIL_WIDTH, settings.FIGURE_THUMBNAIL_WIDTH * 2))
        thumb.save(folder / f"{digest}.thumb.webp", "WEBP", quality=80)
    return {
        "image": f"{url_prefix}/{name}.webp",
        "fallback": f"{url_prefix}/{name}.png",
        "thumbnail": f"{url_prefix}/{name}.thumb.webp",
        "width": pix.width,
        "height": pix.height,
        "sha256": digest,
    }


def extract_figures(doc, out_dir, url_prefix, found):
    """Render every figure found; the same picture twice is kept once.

    The lead figure (Figure 1, the teaser, else the first) is pre-selected for readers;
    editors choose the others."""
    records, seen = [], set()
    for figure in found:
        files = render(doc, figure, out_dir, url_prefix)
        if files["sha256"] in seen:
            continue
        seen.add(files["sha256"])
        records.append({"order": len(records) + 1, "page": figure.page, "label": figure.label,
                        "caption": figure.caption, "kind": figure.kind, "bbox": figure.bbox,
                        "kept": False, **files})
    if records:
        lead = next((r for r in records if r["label"] in ("Figure 1", "图 1")), records[0])
        lead["kept"] = True
    return records
