"""The interface every summarizer implements: paper text in, sections out."""

from dataclasses import dataclass, field

SECTION_KINDS = ("summary", "key_takeaways", "method", "conclusion")


@dataclass
class PaperPart:
    text: str
    titles: list = field(default_factory=list)
    pages: list = field(default_factory=list)
    # "heading": found under its own heading; "position": inferred from where it
    # stands; "missing": not in the extracted text.
    found_by: str = "missing"


@dataclass
class PaperText:
    """What a summarizer may read. Metadata is for context; it is never asked back."""

    title: str
    abstract: str
    language: str  # the paper's own language, "en" or "zh"
    parts: dict  # "introduction" | "method" | "experiments" | "conclusion" -> PaperPart
    text_ok: bool = True  # False for scanned or garbled PDFs: the abstract is all there is
    own_urls: tuple = ()  # the paper's project and code pages: links a summary may give

    def part(self, kind):
        return self.parts.get(kind) or PaperPart(text="")


@dataclass
class SectionText:
    kind: str
    text: str  # Markdown
    sources: list = field(default_factory=list)  # which parts of the paper it came from


@dataclass
class SummaryResult:
    sections: list
    backend: str
    model: str = ""
    model_version: str = ""
    prompt_version: str = ""
    usage: dict = field(default_factory=dict)
    language: str = ""  # what the sections are written in
    flags: list = field(default_factory=list)  # paper-level: blocked, truncated, invalid_output, unexpected_link…

    def as_json(self):
        return {s.kind: {"text": s.text, "sources": s.sources} for s in self.sections}


class SummarizerError(Exception):
    """The backend could not summarize this paper.

    `retryable`: trying later may help (`retry_at`, when the service said when).
    `operator`: the backend itself is unusable (bad key, retired model, zero quota); papers
    wait while the operator fixes it, and the admin shows one alert.
    """

    def __init__(self, message, retryable=False, operator=False, retry_at=None):
        super().__init__(message)
        self.retryable = retryable or operator
        self.operator = operator
        self.retry_at = retry_at


class Summarizer:
    name = ""
    model = ""
    prompt_version = ""

    def summarize(self, paper: PaperText, language: str) -> SummaryResult:
        """Write every section of SECTION_KINDS for `paper`, in `language` where the backend can."""
        raise NotImplementedError

