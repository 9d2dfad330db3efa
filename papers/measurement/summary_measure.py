"""What a reader gets from a summarizer's sections, measured: for `make bench` and tests, not for production.

Each measure reads the written sections the way a reader would, by rules of its own (not the summarizer's):
- names: the one-line summary says what the paper made and does (a verb of contribution or the system's name and
  a verb), in the third person;
- numbers: the abstract's numeric results (a number with a unit of result: %, percent, ×, dB, AUC…) are in the
  summary or the takeaways;
- dangling: a sentence opens by pointing back at one not shown (This, That, It, These, Those, They, Such);
- duplicates: one sentence in two sections.
"""

import re
from dataclasses import dataclass

CONTRIBUTION_RE = re.compile(
    r"\b(?:propos|present|introduc|develop|design|describ|build|construct|creat|reconstruct|offer|releas)\w*\b"
    r"|^[A-Z][\w-]*(?:[A-Z]|\d)[\w-]*\s+(?:is\s+|are\s+)?[a-z]+s\b")
FIRST_PERSON_RE = re.compile(r"^(?:In this \w+,?\s+)?(?:We|Our|I)\b")
DANGLING_RE = re.compile(r"^(?:This|That|These|Those|It|Its|They|Their|Such)\b(?! (?:paper|work|study)\b)")
RESULT_RE = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)\s?(?:%|percent|×|x\b|times|dB|fps|frames|milliseconds|ms\b|AUC)")
# A verb the third-person rewrite broke: "the paper traineds", "the paper usings".
BROKEN_RE = re.compile(r"\bthe paper (?:\w+ )?\w+(?:eds|ings)\b", re.I)
SENTENCE_RE = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")


@dataclass
class Measures:
    papers: int = 0
    names: int = 0
    first_person: int = 0
    with_results: int = 0  # papers whose abstract has numeric results
    numbers_kept: int = 0  # of those, papers whose summary and takeaways carry all of them
    dangling: int = 0  # sentences
    duplicates: int = 0  # sentences in two sections

    def add(self, abstract, sections):
        self.papers += 1
        summary = plain(sections.get("summary", ""))
        self.names += bool(CONTRIBUTION_RE.search(summary)) and not FIRST_PERSON_RE.match(summary) \
            and not DANGLING_RE.match(summary) and not BROKEN_RE.search(summary)
        self.first_person += bool(FIRST_PERSON_RE.match(summary))
        results = set(RESULT_RE.findall(abstract))
        if results:
            self.with_results += 1
            shown = summary + " " + plain(sections.get("key_takeaways", ""))
            self.numbers_kept += all(re.search(rf"(?<![\d.]){re.escape(n)}(?![\d])", shown) for n in results)
        seen = {}
        for kind, text in sections.items():
            for sentence in sentences(text):
                self.dangling += bool(DANGLING_RE.match(sentence))
                if sentence in seen and seen[sentence] != kind:
                    self.duplicates += 1
                seen.setdefault(sentence, kind)

    def lines(self):
        share = lambda n, d: f"{n}/{d} ({n / d:.0%})" if d else "0/0"  # noqa: E731
        return [
            f"summary names what the paper made and does: {share(self.names, self.papers)}; "
            f"in the first person: {share(self.first_person, self.papers)}",
            f"takeaways carry every numeric result of the abstract: {share(self.numbers_kept, self.with_results)}",
            f"sentences pointing back at one not shown: {self.dangling}; sentences in two sections: {self.duplicates}",
        ]


def plain(markdown):
    """The text of a section without list markers, escapes and the extractive note in italics."""
    text = re.sub(r"(?:^|\n\n)\*[^*]+\*\s*$", "", markdown.strip())
    text = re.sub(r"^\s*(?:\d+\.|-)\s+", "", text, flags=re.M)
    return text.replace("\\", "").strip()


def sentences(markdown):
    return [s.strip() for line in plain(markdown).splitlines() for s in SENTENCE_RE.split(line) if s.strip()]
