"""Where each sentence of a section comes from: the passage of the paper that supports it best.

A sentence is supported when the paper has its content words, and its numbers and names, in one passage or
across the text. One that nothing in the paper supports is flagged `unsupported` at its span: above all a number,
a name or a dataset that the paper does not mention, the mark of a sentence from another paper or made up.
Chinese sentences are left to the number check (papers.editorial.quality.check_numbers): their words need a
segmenter this check does not have.
"""

import re
from dataclasses import dataclass

from .flags import flag

# A sentence ends at . ! or ? before a space or the end; "99.7" and "e.g" do not end one.
SENTENCE_RE = re.compile(r"(?:[^.!?\n]|[.!?](?![.!?]*(?:\s|$)))+(?:[.!?]+(?=\s|$)|$)", re.M)
WORD_RE = re.compile(r"[A-Za-z][A-Za-z0-9\-]*|\d+(?:\.\d+)?")
NAME_RE = re.compile(r"(?<![\w.])(?:[A-Z][a-z]*[A-Z0-9][A-Za-z0-9\-]*|[A-Z]{2,}[A-Za-z0-9\-]*)")
NUMBER_RE = re.compile(r"(?<![\w.])\d+(?:\.\d+)?")
CJK_RE = re.compile(r"[\u4e00-\u9fff]")
# An italic note is about the text, not a claim of the paper: "*Extractive: sentences quoted from …*".
NOTE_RE = re.compile(r"(?<!\*)\*[^*\n]+\*(?!\*)")
STOP_WORDS = set("""
a an the and or but if of to in on at by for with from as into over under than then that this these those it its
is are was were be been being has have had do does did can could may might will would should shall we our us they
their them he she his her you your i not no nor so such also only more most less very each every all any both
which who whom whose what when where while how why there here about after before between through during per via
""".split())
# Shares of a sentence's content words: in its best passage, and anywhere in the paper.
PASSAGE_SHARE, PAPER_SHARE = 0.5, 0.75
MIN_WORDS = 4


@dataclass
class Passage:
    text: str
    page: int | None
    words: frozenset


def words_of(text):
    return frozenset(w.lower() for w in WORD_RE.findall(text) if w.lower() not in STOP_WORDS)


def passages_of(abstract, extraction):
    """The paper as sentences with their pages: the abstract, then each extracted section."""
    found = [Passage(s, None, words_of(s)) for s in sentences(abstract)]
    for section in (extraction or {}).get("sections", []):
        page = (section.get("pages") or [None])[0]
        found += [Passage(s, page, words_of(s)) for s in sentences(section.get("text", ""))]
    return [p for p in found if p.words]


def sentences(text):
    return [m.group(0).strip() for m in SENTENCE_RE.finditer(text or "") if m.group(0).strip()]


def sentence_spans(text):
    """(start, end) of each sentence of a section, leaving out list markers and italic notes."""
    # Notes are blanked, not cut, so that spans still point into `text`.
    blanked = NOTE_RE.sub(lambda m: " " * len(m.group(0)), text)
    for line in re.finditer(r"[^\n]+", blanked):
        body = re.match(r"\s*(?:[-*+]|\d+[.)])?\s*", line.group(0)).end()
        for match in SENTENCE_RE.finditer(line.group(0), body):
            sentence = match.group(0)
            if sentence.strip():
                lead = len(sentence) - len(sentence.lstrip())
                yield line.start() + match.start() + lead, line.start() + match.end()


def best_passage(sentence, passages):
    """The passage sharing most of the sentence's content words, and that share."""
    words = words_of(sentence)
    if not words or not passages:
        return None, 0.0
    best = max(passages, key=lambda p: len(words & p.words))
    return best, len(words & best.words) / len(words)


def why_unsupported(sentence, passages, paper_words, paper_numbers):
    """What in the sentence the paper does not support, or "" when it does."""
    if CJK_RE.search(sentence):
        return ""
    words = words_of(sentence)
    if len(words) < MIN_WORDS:
        return ""
    missing = [n for n in NUMBER_RE.findall(sentence) if n not in paper_numbers]
    missing += [n for n in NAME_RE.findall(sentence) if n.lower() not in paper_words]
    if missing:
        return f"the paper never mentions {', '.join(dict.fromkeys(missing))}"
    _, share = best_passage(sentence, passages)
    if share < PASSAGE_SHARE and len(words & paper_words) / len(words) < PAPER_SHARE:
        return "no passage of the paper says this"
    return ""


def unsupported(text, passages):
    """Flags for the sentences of `text` that the paper's passages do not support."""
    paper_words = frozenset().union(*(p.words for p in passages)) if passages else frozenset()
    paper_numbers = frozenset(NUMBER_RE.findall(" ".join(p.text for p in passages)))
    flags = []
    for start, end in sentence_spans(text):
        why = why_unsupported(text[start:end], passages, paper_words, paper_numbers)
        if why:
            flags.append(flag("unsupported", f"Nothing in the paper supports this sentence: {why}.", start, end))
    return flags


def evidence(text, passages):
    """For each sentence of a section: (sentence, its best passage or None, the share of words it shares)."""
    rows = []
    for start, end in sentence_spans(text):
        passage, share = best_passage(text[start:end], passages)
        rows.append((text[start:end], passage, share))
    return rows
