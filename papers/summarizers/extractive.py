"""The offline default: each section made of the paper's own sentences.

TextRank (Mihalcea & Tarau, 2004) over the sentences of the matching part of
the paper, with the title and abstract as the random walk's prior, so the
sentences chosen are central to their section and on the paper's subject.
Deterministic, no network. It quotes; it never paraphrases or translates, so
its output is in the paper's language and says that it is extractive.
"""

import math
import re

from ..stopwords import STOPWORDS
from .base import PaperText, SectionText, Summarizer, SummaryResult

VERSION = "textrank-1"

SENTENCE_END_RE = re.compile(r"(?<=[.!?])\s+(?=[A-Z(\[\"“])|(?<=[。！？])|\s*•\s*")
ABBREVIATIONS_RE = re.compile(r"\b(?:et al|e\.g|i\.e|Fig|Figs|Eq|Eqs|Sec|Tab|vs|cf|resp|approx)\.$", re.I)
LATIN_WORD_RE = re.compile(r"[a-z][a-z\-]{2,}")
CJK_RE = re.compile(r"[\u4e00-\u9fff]")
# Angle brackets are left alone: papers.rendering shows any raw HTML as text.
MARKDOWN_SPECIAL_RE = re.compile(r"([\\`*_\[\]#|])")

NOTES = {
    "en": {
        "quoted": "Extractive: sentences quoted from the paper's {where}.",
        "abstract_only": "Extractive: the {part} was not found in the PDF text; these sentences are from the abstract.",
        "no_text": "Extractive: the PDF has no readable text; these sentences are from the abstract.",
        "abstract": "abstract",
        "part": {"method": "method section", "conclusion": "conclusion"},
    },
    "zh": {
        "quoted": "抽取式：以下句子摘录自论文的{where}。",
        "abstract_only": "抽取式：PDF 文本中未找到{part}，以下句子摘录自摘要。",
        "no_text": "抽取式：PDF 没有可读文本，以下句子摘录自摘要。",
        "abstract": "摘要",
        "part": {"method": "方法部分", "conclusion": "结论部分"},
    },
}


def split_sentences(text, language="en"):
    pieces = SENTENCE_END_RE.split(text or "")
    sentences, buffer = [], ""
    for piece in pieces:
        buffer = f"{buffer} {piece}".strip() if buffer else piece.strip()
        if ABBREVIATIONS_RE.search(buffer):
            continue
        if buffer:
            sentences.append(buffer)
        buffer = ""
    if buffer:
        sentences.append(buffer)
    return [s for s in sentences if is_prose(s, language)]


def is_prose(sentence, language):
    """Leave out fragments, equations and table rows that sentence splitting turns up."""
    if CJK_RE.search(sentence) or language == "zh":
        return 12 <= len(sentence) <= 300
    if not 40 <= len(sentence) <= 450 or not sentence[0].isupper() and not sentence[0].isdigit():
        return False
    letters = sum(c.isalpha() for c in sentence)
    words = sentence.split()
    shouting = sum(w.isupper() and len(w) > 1 for w in words)  # table and figure headers
    return letters / len(sentence) > 0.7 and len(words) >= 6 and shouting < 0.2 * len(words)


def tokens(sentence):
    lowered = sentence.lower()
    words = {w for w in LATIN_WORD_RE.findall(lowered) if w not in STOPWORDS}
    cjk = CJK_RE.findall(sentence)
    words.update(a + b for a, b in zip(cjk, cjk[1:]))
    return words


def similarity(a, b):
    if not a or not b:
        return 0.0
    shared = len(a & b)
    return shared / (math.log(len(a) + 1) + math.log(len(b) + 1)) if shared else 0.0


def textrank(sentences, prior_tokens, damping=0.85, iterations=50):
    """Scores for `sentences`: PageRank on their similarity graph, biased towards the prior."""
    toks = [tokens(s) for s in sentences]
    n = len(sentences)
    if n == 0:
        return []
    weights = [[similarity(toks[i], toks[j]) if i != j else 0.0 for j in range(n)] for i in range(n)]
    out_sums = [sum(row) or 1.0 for row in weights]
    bias = [1.0 + similarity(t, prior_tokens) for t in toks]
    total = sum(bias)
    bias = [b / total for b in bias]
    scores = bias[:]
    for _ in range(iterations):
        new = [
            (1 - damping) * bias[i]
            + damping * sum(weights[j][i] * scores[j] / out_sums[j] for j in range(n) if weights[j][i])
            for i in range(n)
        ]
        done = max(abs(a - b) for a, b in zip(new, scores)) < 1e-6
        scores = new
        if done:
            break
    return scores


def pick(sentences, prior_tokens, count, exclude=()):
    """The `count` best sentences, in the order the paper has them, without near-repeats."""
    scores = textrank(sentences, prior_tokens)
    ranked = sorted(range(len(sentences)), key=lambda i: (-scores[i], i))
    chosen = []
    taken_tokens = [tokens(s) for s in exclude]
    for i in ranked:
        toks = tokens(sentences[i])
        if any(len(toks & t) > 0.6 * min(len(toks), len(t) or 1) for t in taken_tokens):
            continue
        chosen.append(i)
        taken_tokens.append(toks)
        if len(chosen) == count:
            break
    return [sentences[i] for i in sorted(chosen)]


def escape(sentence):
    return MARKDOWN_SPECIAL_RE.sub(r"\\\1", sentence)


def page_range(pages):
    if not pages:
        return ""
    first, last = pages
    return f"p. {first}" if first == last else f"pp. {first}–{last}"


class ExtractiveSummarizer(Summarizer):
    name = "extractive"
    model = "textrank"
    prompt_version = VERSION

    LIMITS = {"key_takeaways": 5, "method": 4, "conclusion": 3}

    def summarize(self, paper: PaperText, language: str) -> SummaryResult:
        lang = paper.language if paper.language in NOTES else "en"
        notes = NOTES[lang]
        prior = tokens(paper.title) | tokens(paper.abstract)
        abstract = split_sentences(paper.abstract, lang) or [paper.abstract.strip()]

        summary = pick(abstract, prior, 1)
        sections = [SectionText("summary", escape(summary[0]) if summary else "", ["abstract"])]

        pool, sources = list(abstract), ["abstract"]
        if paper.text_ok:
            for kind in ("introduction", "conclusion"):
                part = paper.part(kind)
                if part.text:
                    pool += split_sentences(part.text, lang)
                    sources.append(kind)
        # A short abstract may have nothing left once the summary sentence is taken: repeat it then.
        takeaways = pick(pool, prior, self.LIMITS["key_takeaways"], exclude=summary) or summary
        sections.append(SectionText(
            "key_takeaways",
            "\n".join(f"- {escape(s)}" for s in takeaways),
            sources,
        ))

        for kind in ("method", "conclusion"):
            sections.append(self._part_section(paper, kind, abstract, prior, summary, notes, lang))
        return SummaryResult(
            sections=sections,
            backend=self.name,
            model=self.model,
            model_version=VERSION,
            prompt_version=self.prompt_version,
            language=lang,
        )

    def _part_section(self, paper, kind, abstract, prior, summary, notes, lang):
        part = paper.part(kind)
        sentences = split_sentences(part.text, lang) if paper.text_ok else []
        if sentences:
            chosen = pick(sentences, prior, self.LIMITS[kind])
            where = ", ".join(part.titles) or notes["part"][kind]
            note = notes["quoted"].format(where=f"{where} ({page_range(part.pages)})")
            sources = [f"{t} ({page_range(part.pages)})" for t in part.titles] or [kind]
        else:
            chosen = pick(abstract, prior, 2, exclude=summary) or abstract[:1]
            note = notes["abstract_only" if paper.text_ok else "no_text"].format(part=notes["part"][kind])
            sources = ["abstract"]
        if kind == "method":
            body = "\n".join(f"{n}. {escape(s)}" for n, s in enumerate(chosen, 1))
        else:
            body = " ".join(escape(s) for s in chosen)
        return SectionText(kind, f"{body}\n\n*{note}*", sources)
