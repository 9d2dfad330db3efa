"""Every quality flag the project raises, defined once: its code, its usual severity and what an editor
reads. The PDF checks, the summarizers' checks and the text checks (papers.quality) make flags with
flag(); the admin's filters, the queue and the review page read their labels here.

A flag is a dict: code, severity (1 note, 2 warning, 3 serious), message, and the character span
[start, end) of the section body it points to.
"""

from typing import NamedTuple

NOTE, WARNING, SERIOUS = 1, 2, 3


class FlagKind(NamedTuple):
    code: str
    severity: int
    label: str


KINDS = [
    # The PDF (papers.pdf): the sections were written from the abstract alone.
    FlagKind("no_text", SERIOUS, "No text in the PDF"),
    FlagKind("garbled_text", SERIOUS, "Garbled PDF text"),
    # What a language model sent back (papers.summarizers).
    FlagKind("blocked", SERIOUS, "Refused by the model"),
    FlagKind("truncated", SERIOUS, "Cut off at the output limit"),
    FlagKind("invalid_output", SERIOUS, "Not valid JSON"),
    FlagKind("unexpected_link", SERIOUS, "Link the paper does not give"),
    FlagKind("raw_html", WARNING, "HTML in the text"),
    FlagKind("schema", NOTE, "Not the shape asked for"),
    # The text of a section, whoever wrote it (papers.quality).
    FlagKind("empty", SERIOUS, "Empty section"),
    FlagKind("too_long", WARNING, "Too long"),
    FlagKind("long_paragraph", SERIOUS, "Runaway paragraph"),
    FlagKind("repetition", SERIOUS, "Repeated phrases"),
    FlagKind("cut_off", WARNING, "Stops mid-sentence"),
    FlagKind("echo", SERIOUS, "Prompt or placeholder echoed"),
    FlagKind("chatbot", SERIOUS, "Chatbot talk or refusal"),
    FlagKind("wrong_language", WARNING, "Wrong language"),
    FlagKind("broken_chars", WARNING, "Broken characters"),
    FlagKind("leaked_markup", WARNING, "Leaked JSON or markup"),
    FlagKind("invented_authors", SERIOUS, "Invented authors"),
    FlagKind("unknown_numbers", NOTE, "Numbers not in the paper"),
    FlagKind("unsupported", WARNING, "Not supported by the paper"),
    FlagKind("generic", SERIOUS, "Generic method text"),
]
REGISTRY = {kind.code: kind for kind in KINDS}


def flag(code, message, start=0, end=0, severity=None):
    """A flag of a registered kind (an unknown code is a KeyError: every flag is defined above)."""
    kind = REGISTRY[code]
    return {"code": code, "severity": severity or kind.severity, "message": message, "start": start, "end": end}


def label(code):
    """What an editor reads for a code; a code no longer raised (in an old row) reads as itself."""
    kind = REGISTRY.get(code)
    return kind.label if kind else code.replace("_", " ")


def choices():
    return [(kind.code, kind.label) for kind in KINDS]
