"""LaTeX in titles, abstracts and sections as MathML, written on the server: it reads without JavaScript, from
this site alone, and in feed readers. latex2mathml converts; its MathML is cleaned like any other HTML."""

import html
import re

import nh3
from latex2mathml.converter import convert

# $…$: no space just inside the dollars and no digit right after the closing one, so "$5 and $10" stays money.
MATH_RE = re.compile(r"(?<![\\$\w])\$(?=\S)([^$\n]{1,300}?)(?<=[^\s\\])\$(?![\d\w])")
MATHML_TAGS = {"math", "mrow", "mi", "mn", "mo", "ms", "mtext", "mspace", "msup", "msub", "msubsup", "mfrac",
               "msqrt", "mroot", "mover", "munder", "munderover", "mstyle", "mtable", "mtr", "mtd", "menclose",
               "mpadded", "mphantom", "semantics", "annotation"}
MATHML_ATTRIBUTES = {
    "math": {"xmlns", "display"}, "mi": {"mathvariant"}, "mstyle": {"displaystyle", "scriptlevel"},
    "mo": {"stretchy", "fence", "form", "separator", "lspace", "rspace", "minsize", "maxsize"},
    "mspace": {"width"}, "mfrac": {"linethickness"}, "menclose": {"notation"}, "mtable": {"columnalign"},
}


def mathml(latex):
    """The formula as MathML, or None where latex2mathml cannot read it (the text then stays as it is)."""
    try:
        return nh3.clean(convert(latex), tags=MATHML_TAGS, attributes=MATHML_ATTRIBUTES)
    except Exception:  # latex2mathml raises many kinds on malformed input; the reader gets the raw text
        return None


def split_math(text):
    """(kind, piece, source) triples of `text`: kind "text", or "math" with the MathML of the $…$ source."""
    pieces, last = [], 0
    for match in MATH_RE.finditer(text or ""):
        formula = mathml(match.group(1))
        if formula is None:
            continue
        pieces += [("text", text[last:match.start()], ""), ("math", formula, match.group(0))]
        last = match.end()
    return pieces + [("text", (text or "")[last:], "")]


def math_html(text):
    """Plain text (a title, an abstract) as HTML: escaped, with its formulas as MathML."""
    return "".join(html.escape(piece) if kind == "text" else piece for kind, piece, _ in split_math(text))
