"""Reading papers with pymupdf: text by section, and figures with their captions.

The approach, cheapest first (pymupdf's "dict" text is ~110 pages/s here; a
layout model would be ~0.5 s/page):
1. lines in reading order: each page's blocks split into left column, right
   column and full-width bands, so two-column papers read column by column;
   running headers, page numbers and the rotated arXiv stamp are dropped;
2. top-level headings found by their numbering ("3", "III.", keywords such as
   "Abstract" and "References") and their styling (larger or bold type, or
   IEEE-style capitals), kept only while the numbers run 1, 2, 3…;
3. each section named by its heading (introduction, method, experiments,
   conclusion…); everything from the references on is dropped.
"""

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pymupdf
from django.conf import settings

from ..editorial.flags import flag

pymupdf.TOOLS.mupdf_display_errors(False)
# Spans with fonts and sizes, without the bytes of every image on the page.
TEXT_ONLY = pymupdf.TEXTFLAGS_DICT & ~pymupdf.TEXT_PRESERVE_IMAGES
# Control characters (NUL among them) are not text, and PostgreSQL cannot store NUL.
CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class PdfError(Exception):
    """This file cannot be processed; the message says why, for the editor."""


# --- opening -------------------------------------------------------------------

def open_pdf(path):
    path = Path(path)
    size = path.stat().st_size
    if size == 0:
        raise PdfError("the PDF file is empty (0 bytes)")
    if size > settings.PDF_MAX_BYTES:
        raise PdfError(
            f"the PDF is {size / 1e6:.1f} MB, over the {settings.PDF_MAX_BYTES / 1e6:.0f} MB limit"
        )
    with open(path, "rb") as fh:
        head = fh.read(1024)
    if b"%PDF-" not in head:
        start = head[:40].decode("latin-1").strip()
        raise PdfError(f"not a readable PDF: the file starts with {start!r}, not %PDF-")
    try:
        doc = pymupdf.open(path, filetype="pdf")
    except (pymupdf.FileDataError, pymupdf.EmptyFileError, RuntimeError) as exc:
        raise PdfError(f"not a readable PDF: {exc}") from exc
    if doc.needs_pass and not doc.authenticate(""):
        doc.close()
        raise PdfError("the PDF is encrypted with a password")
    if doc.page_count == 0:
        doc.close()
        raise PdfError("the PDF has no pages")
    if doc.page_count > settings.PDF_MAX_PAGES:
        pages = doc.page_count
        doc.close()
        raise PdfError(f"the PDF has {pages} pages, over the {settings.PDF_MAX_PAGES}-page limit")
    return doc


# --- lines in reading order ------------------------------------------------------

@dataclass
class Line:
    page: int  # 0-based
    x0: float
    y0: float
    x1: float
    y1: float
    size: float
    bold: bool
    text: str


def _block_lines(block, page_no):
    lines = []
    for raw in block["lines"]:
        if raw["dir"][0] < 0.99:  # rotated text: the arXiv stamp in the margin, axis labels
            continue
        spans = [s for s in raw["spans"] if s["text"].strip()]
        if not spans:
            continue
        # Control characters (NUL among them) are not text, and PostgreSQL cannot store NUL.
        text = CONTROL_RE.sub("", "".join(s["text"] for s in raw["spans"])).strip()
        main = max(spans, key=lambda s: len(s["text"]))
        bold = bool(main["flags"] & 16) or re.search(r"bold|black|heavy|cmbx|medi", main["font"], re.I)
        x0, y0, x1, y1 = raw["bbox"]
        line = Line(page_no, x0, y0, x1, y1, round(main["size"], 1), bool(bold), text)
        # "1" and "Introduction" often come as two lines on one baseline.
        prev = lines[-1] if lines else None
        if prev and abs(prev.y1 - line.y1) < 2 and 0 <= line.x0 - prev.x1 < 40:
            prev.text = f"{prev.text} {line.text}"
            prev.x1 = line.x1
            prev.size = max(prev.size, line.size)
            prev.bold = prev.bold or line.bold
        else:
            lines.append(line)
    return lines


def _reading_order(blocks, width):
    """Blocks of one page ordered band by band, left column before right."""
    mid = width / 2
    slack = width * 0.04

    def column(b):
        x0, _, x1, _ = b["bbox"]
        if x1 <= mid + slack:
            return "left"
        if x0 >= mid - slack:
            return "right"
        return "full"

    ordered, band = [], []

    def flush():
        band.sort(key=lambda b: (column(b) == "right", b["bbox"][1]))
        ordered.extend(band)
        band.clear()

    for block in sorted(blocks, key=lambda b: b["bbox"][1]):
        if column(block) == "full":
            flush()
            ordered.append(block)
        else:
            band.append(block)
    flush()
    return ordered


def page_lines(doc, found):
    """`found`: the figures on these pages (figures.find_all), whose labels are not running text."""
    lines = []
    heights = {}
    for page_no, page in enumerate(doc):
        heights[page_no] = page.rect.height
        blocks = page.get_text("dict", flags=TEXT_ONLY)["blocks"]
        pictures = figure_areas(page, found)
        for block in _reading_order(blocks, page.rect.width):
            block_lines = _block_lines(block, page_no)
            # A caption is its own block and not part of the running text.
            if block_lines and not CAPTION_START_RE.match(block_lines[0].text):
                # Labels drawn over a picture belong to the figure.
                lines.extend(ln for ln in block_lines if not _inside(ln, pictures))
    lines = _drop_running_heads(lines, heights, doc.page_count)
    return _drop_small_type(lines) if lines else lines


def figure_areas(page, found):
    """Where a page's figures are: their pictures and the regions their captions name, with the
    line above (column headings). A page-sized picture is not a figure: OCR'd scans lay their text over one."""
    area = page.rect.width * page.rect.height
    areas = [r for r in (pymupdf.Rect(i["bbox"]) for i in page.get_image_info()) if r.width * r.height < area / 2]
    return areas + [f.rect + (0, -14, 0, 0) for f in found if f.page == page.number + 1]


def _inside(line, pictures):
    middle = pymupdf.Point((line.x0 + line.x1) / 2, (line.y0 + line.y1) / 2)
    return any(middle in picture for picture in pictures)


def _drop_small_type(lines):
    """Chart labels and footnotes in small type are not the paper's running text."""
    body = body_size(lines)
    return [ln for ln in lines if ln.size >= body * 0.75]


def _drop_running_heads(lines, heights, pages):
    """Drop page numbers and headers/footers repeated across pages."""

    def key(line):
        return re.sub(r"\d+", "#", line.text.lower())

    def in_margin(line):
        h = heights[line.page]
        # Generous: a line in this band goes only if it repeats or is a page number.
        return line.y1 < h * 0.13 or line.y0 > h * 0.9

    repeated = Counter(key(ln) for ln in lines if in_margin(ln))
    threshold = max(3, pages // 3)
    return [
        ln
        for ln in lines
        if not (in_margin(ln) and (re.fullmatch(r"[\d\s\-–—/.of]*", ln.text) or repeated[key(ln)] >= threshold
                                   or "©" in ln.text))
    ]


# --- headings and sections -----------------------------------------------------------

CAPTION_START_RE = re.compile(r"^(fig\.|figure|table|tab\.)\s*([\dIVX]+)\s*[:.|]", re.I)

KEYWORDS = {
    "abstract": "abstract",
    "introduction": "introduction",
    "related work": "related",
    "related works": "related",
    "background": "related",
    "references": "references",
    "bibliography": "references",
    "acknowledgements": "acknowledgements",
    "acknowledgments": "acknowledgements",
    "acknowledgement": "acknowledgements",
    "acknowledgment": "acknowledgements",
    "appendix": "appendix",
    "conclusion": "conclusion",
    "conclusions": "conclusion",
    "discussion": "conclusion",
    "摘要": "abstract",
    "引言": "introduction",
    "结论": "conclusion",
    "参考文献": "references",
}
KIND_WORDS = [
    ("references", r"\breferences\b|\bbibliography\b"),
    ("acknowledgements", r"\backnowledge?ments?\b"),
    ("appendix", r"\bappendi(x|ces)\b|\bsupplementary\b"),
    ("abstract", r"^abstract$"),
    ("introduction", r"\bintroduction\b"),
    ("related", r"\brelated work|\bprior work|\bliterature review|^background$"),
    ("conclusion", r"\bconclu|\bdiscussion\b|\bsummary\b|future work|open problems|\blimitations\b"),
    ("experiments", r"\bexperiment|\bevaluation\b|\bresults\b|\bempirical\b|\bbenchmark|\bablation"),
    ("method", r"\bmethod|\bapproach\b|\bproposed\b|\bframework\b|\bmodel\b|\balgorithm|\barchitecture\b"
               r"|\bformulation\b|\bpipeline\b|\bdesign\b"),
]
ROMAN = {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5, "VI": 6, "VII": 7, "VIII": 8, "IX": 9, "X": 10,
         "XI": 11, "XII": 12, "XIII": 13, "XIV": 14, "XV": 15}
NUMBERED_RE = re.compile(r"^(?P<num>\d{1,2}|[IVX]{1,4})(?:\.|\s)\s*(?P<title>[A-Z\u4e00-\u9fff][^\n]{1,80})$")
INLINE_ABSTRACT_RE = re.compile(r"^(abstract|摘要)\s*[—–:.\-]\s*\S", re.I)


def classify(title):
    plain = re.sub(r"^[\dIVX]+[.\s]+", "", title).strip().strip(".:").lower()
    if plain in KEYWORDS:
        return KEYWORDS[plain]
    for kind, pattern in KIND_WORDS:
        if re.search(pattern, plain):
            return kind
    return "other"


def body_size(lines):
    sizes = Counter()
    for ln in lines:
        sizes[ln.size] += len(ln.text)
    return sizes.most_common(1)[0][0] if sizes else 10.0


def _numbered(line, body):
    match = NUMBERED_RE.match(line.text)
    if not match or len(line.text) > 80:
        return None
    title = match["title"].strip()
    words = title.split()
    if len(words) > 12 or title.endswith((".", ",", ";")) or re.match(r"^\d", title):
        return None
    styled = line.size >= body + 0.8 or line.bold
    caps = title.upper() == title and sum(c.isalpha() for c in title) >= 4
    num = match["num"]
    if num.isdigit():
        if not styled:
            return None
        return ("arabic", int(num), line.text)
    if num not in ROMAN or not (styled or caps):
        return None
    return ("roman", ROMAN[num], line.text)


def _keyword(line, body):
    plain = line.text.strip().strip(".:").lower()
    if plain not in KEYWORDS:
        return False
    return line.size >= body + 0.5 or line.bold or line.text.isupper() or line.text[:1].isupper()


def find_headings(lines):
    """Indexes into `lines` of the top-level headings, with their titles."""
    body = body_size(lines)
    numbered = {"arabic": [], "roman": []}
    keywords = []
    for i, line in enumerate(lines):
        hit = _numbered(line, body)
        if hit:
            numbered[hit[0]].append((i, hit[1], hit[2]))
        elif _keyword(line, body):
            keywords.append((i, line.text.strip().rstrip(".:")))
        elif INLINE_ABSTRACT_RE.match(line.text):
            keywords.append((i, "Abstract"))
    style = max(numbered, key=lambda k: len(numbered[k]))
    headings = []
    expected = 1
    for i, num, text in numbered[style]:
        if num == expected:
            headings.append((i, text))
            expected += 1
    taken = {i for i, _ in headings}
    headings += [(i, t) for i, t in keywords if i not in taken]
    headings.sort()
    # A keyword is a heading only once: the first "Abstract" or "References".
    seen, unique = set(), []
    for i, text in headings:
        kind = classify(text)
        if kind in seen and kind in ("abstract", "references", "introduction"):
            continue
        seen.add(kind)
        unique.append((i, text))
    return unique


def _continues(heading, line):
    """A long heading wraps onto a next line in the same style, e.g. IEEE capitals."""
    return (
        line.page == heading.page
        and 0 <= line.y0 - heading.y1 < heading.size
        and abs(line.size - heading.size) < 0.3
        and line.bold == heading.bold
        and mostly_caps(line.text) == mostly_caps(heading.text)
        and len(line.text) < 80
        and not re.search(r"[.:]$", heading.text)
    )


def mostly_caps(text):
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and sum(c.isupper() for c in letters) >= 0.7 * len(letters)


def split_sections(lines, headings):
    sections = []
    bounds = headings + [(len(lines), None)]
    for (start, title), (end, _) in zip(bounds, bounds[1:]):
        body_start = start + 1
        if body_start < end and mostly_caps(title) and _continues(lines[start], lines[body_start]):
            title = f"{title} {lines[body_start].text}"
            body_start += 1
        body_lines = lines[body_start:end]
        first = lines[start].text
        if INLINE_ABSTRACT_RE.match(first):
            body_lines = [Line(**{**lines[start].__dict__, "text": re.sub(r"^\S+\s*[—–:.\-]\s*", "", first)})] + body_lines
        text = join_lines(ln.text for ln in body_lines)
        pages = [ln.page + 1 for ln in body_lines] or [lines[start].page + 1]
        sections.append({
            "title": title,
            "kind": classify(title),
            "text": text,
            "pages": [min(pages), max(pages)],
        })
    return sections


def join_lines(texts):
    """Join PDF lines into running text, mending words hyphenated at line ends."""
    out = ""
    for text in texts:
        if out.endswith("-") and text[:1].islower():
            out = out[:-1] + text
        elif out and (is_cjk(out[-1]) or is_cjk(text[:1])):
            out += text
        elif out:
            out += " " + text
        else:
            out = text
    return unicodedata.normalize("NFKC", out)


def is_cjk(ch):
    return "\u4e00" <= ch <= "\u9fff" or "\u3000" <= ch <= "\u303f" or "\uff00" <= ch <= "\uffef"


# --- text quality ------------------------------------------------------------------

WORD_RE = re.compile(r"[A-Za-z]{2,}|[\u4e00-\u9fff]")
MIN_CHARS_PER_PAGE = 200
MIN_WORD_SHARE = 0.5


def text_quality(text, pages):
    """How much real text there is: garbled extractions have few word characters."""
    visible = re.sub(r"\s", "", text)
    word_chars = sum(len(m) for m in WORD_RE.findall(text))
    cjk = len(re.findall(r"[\u4e00-\u9fff]", text))
    latin = len(re.findall(r"[A-Za-z]", text))
    return {
        "chars": len(visible),
        "chars_per_page": round(len(visible) / max(pages, 1)),
        "word_share": round(word_chars / len(visible), 3) if visible else 0.0,
        "language": "zh" if cjk > 0.3 * (cjk + latin / 5) and cjk > 50 else "en",
    }


def quality_flags(quality):
    if quality["chars_per_page"] < MIN_CHARS_PER_PAGE:
        return [flag("no_text", f"No extractable text ({quality['chars']} characters in the whole PDF): a "
                     "scanned paper. Sections were written from the arXiv abstract only.")]
    if quality["word_share"] < MIN_WORD_SHARE:
        return [flag("garbled_text", f"The PDF's text is garbled (only {quality['word_share']:.0%} of its "
                     "characters form words; fonts without a Unicode map). Sections were written from the arXiv "
                     "abstract only.")]
    return []


# --- the whole extraction -------------------------------------------------------------

def extract_text(doc, found):
    """The paper's text by section, with what was found and how well."""
    lines = page_lines(doc, found)
    full_text = join_lines(ln.text for ln in lines)
    quality = text_quality(full_text, doc.page_count)
    flags = quality_flags(quality)
    if flags:
        return {"pages": doc.page_count, "quality": quality, "flags": flags, "headings": [],
                "sections": [], "front_matter": ""}
    headings = find_headings(lines)
    sections = split_sections(lines, headings)
    front = join_lines(ln.text for ln in lines[: headings[0][0]] if ln.page == 0) if headings else ""
    kept, dropped = [], False
    for section in sections:
        if section["kind"] == "references":
            dropped = True
        if not dropped or section["kind"] == "appendix":
            kept.append(section)
    return {
        "pages": doc.page_count,
        "quality": quality,
        "flags": [],
        "headings": [s["title"] for s in sections],
        "sections": kept,
        # Title, authors and affiliations as printed; shown only as "extracted".
        "front_matter": front[:2000],
    }


def parts_for(extraction, kind):
    """The sections to read for a kind, and how they were found.

    Falls back on position where no heading names the kind: the method is what
    lies between the introduction (or related work) and the experiments; the
    conclusion is the last section before the references.
    """
    sections = [s for s in extraction.get("sections", []) if s["kind"] != "appendix"]
    named = [s for s in sections if s["kind"] == kind]
    if named:
        return named, "heading"
    if kind == "method":
        middle = [s for s in sections if s["kind"] == "other"]
        stop = {"experiments", "conclusion", "acknowledgements"}
        for i, s in enumerate(sections):
            if s["kind"] in stop:
                middle = [m for m in sections[:i] if m["kind"] == "other"]
                break
        return middle, "position" if middle else "missing"
    if kind == "conclusion":
        tail = [s for s in sections if s["kind"] not in ("acknowledgements",)]
        if len(tail) >= 3 and tail[-1]["kind"] == "other":
            return tail[-1:], "position"
    return [], "missing"
