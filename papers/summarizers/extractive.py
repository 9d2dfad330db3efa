"""The offline default: each section made of the paper's own sentences.

TextRank (Mihalcea & Tarau, 2004) over the sentences of the matching part of
the paper, with the title and abstract as the random walk's prior, so the
sentences chosen are central to their section and on the paper's subject.
Deterministic, no network. It quotes; it never paraphrases or translates, so
its output is in the paper's language and says that it is extractive. The one change
it makes to an English sentence is the person: "We present X" becomes "The paper
presents X", so a digest does not speak as the authors.

The one-line summary is the sentence that names what the paper made and what it
does: the system's name followed by a verb, or the paper's "we propose/present X"
sentence. The key takeaways carry the abstract's sentences with numeric results
first. No section opens with a sentence that points back at something not shown
("This", "It", "These"…), and no sentence appears in two sections.
"""

import math
import re

from ..public.math import MATH_RE, mathml
from ..stopwords import STOPWORDS
from .base import PaperText, SectionText, Summarizer, SummaryResult

VERSION = "textrank-2"

SENTENCE_END_RE = re.compile(r"(?<=[.!?])\s+(?=[A-Z(\[\"“])|(?<=[。！？])|\s*•\s*")
ABBREVIATIONS_RE = re.compile(r"\b(?:et al|e\.g|i\.e|Fig|Figs|Eq|Eqs|Sec|Tab|vs|cf|resp|approx)\.$", re.I)
LATIN_WORD_RE = re.compile(r"[a-z][a-z\-]{2,}")
CJK_RE = re.compile(r"[\u4e00-\u9fff]")
# Angle brackets are left alone: papers.rendering shows any raw HTML as text.
MARKDOWN_SPECIAL_RE = re.compile(r"([\\`*_\[\]#|])")

NOTES = {
    "en": {
        "quoted": "Extractive: sentences taken from the paper's {where}.",
        "abstract_only": "Extractive: the {part} was not found in the PDF text; these sentences are from the abstract.",
        "no_text": "Extractive: the PDF has no readable text; these sentences are from the abstract.",
        "abstract_used_up": "; the abstract's sentences are all in the sections above.",
        "abstract": "abstract",
        "part": {"method": "method section", "conclusion": "conclusion"},
    },
    "zh": {
        "quoted": "抽取式：以下句子摘录自论文的{where}。",
        "abstract_only": "抽取式：PDF 文本中未找到{part}，以下句子摘录自摘要。",
        "no_text": "抽取式：PDF 没有可读文本，以下句子摘录自摘要。",
        "abstract_used_up": "，摘要的句子都已用在上面的部分。",
        "abstract": "摘要",
        "part": {"method": "方法部分", "conclusion": "结论部分"},
    },
}


# A sentence that points back at the one before it, which a digest does not show: it opens with "This", "It",
# "These"…, or its first words say "this method", "these results", "that coupling instead…".
DANGLING_RE = re.compile(
    r"^(?:This|That|These|Those|It|Its|They|Their|Them|Such|Both|He|She)\b(?! (?:paper|work|study|article)\b)"
    r"|^(?:\S+\s+){0,6}?(?:this|these|those|such)\s+(?!paper|work|study|article)[a-z]"
    r"|^(?:\S+\s+){0,6}?that\s+[a-z]+\s+(?:instead|with|without|by|from|into|over|and|as)\b")
# "We propose", "In this paper, we present", "Here we describe", "To address these issues, we introduce",
# "Specifically, we explicitly disentangle".
FIRST_PERSON_RE = re.compile(
    r"^(?:(?:In this (?:paper|work|study|article|letter)|Here),?\s+)?(?P<lead>(?:[A-Z][^,.;]{0,80},\s+)?)[Ww]e\s+"
    r"(?P<adverb>(?:also|further|then|first|finally|thus|therefore|additionally|explicitly|specifically|"
    r"empirically|experimentally|theoretically|systematically|jointly|directly|extensively|carefully)\s+)?"
    r"(?P<verb>[a-z]+)\b")
# The verbs the authors' voice is turned for, in their base form: any other ("trained", "not") leaves the sentence
# as the authors wrote it rather than make it wrong.
BASE_VERBS = {
    "propose", "present", "introduce", "develop", "design", "describe", "build", "offer", "release", "reconstruct",
    "create", "construct", "show", "demonstrate", "study", "find", "use", "train", "evaluate", "apply", "compare",
    "analyze", "analyse", "investigate", "explore", "extend", "address", "achieve", "obtain", "derive", "prove",
    "provide", "conduct", "report", "observe", "focus", "leverage", "employ", "adopt", "formulate", "learn",
    "generate", "collect", "curate", "examine", "argue", "identify", "discuss", "consider", "define", "implement",
    "test", "validate", "measure", "estimate", "predict", "improve", "reduce", "rely", "aim", "seek", "tackle",
    "combine", "integrate", "perform", "establish", "highlight", "reveal", "discover", "contribute", "make", "take",
    "believe", "note", "treat", "model", "render", "animate", "synthesize", "synthesise", "encode", "decode",
    "capture", "fit", "optimize", "optimise", "exploit", "benchmark", "outline", "summarize", "summarise", "frame",
    "cast", "view", "call", "refer", "name", "term", "dub", "disentangle", "separate", "split", "align", "condition",
    "guide", "distill", "distil", "adapt", "transfer", "augment", "annotate", "release", "open-source",
} | {"are", "have", "were", "do"} | {"can", "could", "will", "would", "may", "might", "should", "must"}
THIS_PAPER_RE = re.compile(r"^(?:This|Our) (?:paper|work|study|article)\b")
OUR_RE = re.compile(r"\b([Oo])ur\b")
IRREGULAR = {"are": "is", "have": "has", "were": "was", "do": "does"}
MODALS = {"can", "could", "will", "would", "may", "might", "should", "must", "did", "had", "was"}
MADE_VERBS = {"propose", "present", "introduce", "develop", "design", "describe", "build", "offer", "release",
              "create", "construct"}
CONTRIBUTION_VERBS = MADE_VERBS | {"reconstruct", "show", "demonstrate", "study"}
# A lead clause that refers back: "To address these issues, ", "To this end, ", "Motivated by this, ".
POINTS_BACK_RE = re.compile(r"\b(?:these|this|those|such|that|the above|them|it)\b", re.I)
# A number that reports a result: 18%, 0.94 AUC, 120 frames per second, 2.1 dB, 23 percent, 3x.
RESULT_RE = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)?\s?(?:%|percent|×|x\b|times|dB|fps|frames|ms|AUC|FID|FVD|points?)"
                       r"|\b(?:AUC|FID|FVD|PSNR|SSIM|LPIPS|accuracy|error)\b[^.]{0,40}\d")
# A system's name: a word with a capital inside it or a digit (EchoFace, GaussHead, Whisper2Gesture, NeRF, LLaMA-2).
NAME_RE = re.compile(r"\b[A-Z][A-Za-z]*(?:[A-Z][a-z0-9]+|[0-9])[\w-]*\b|\b[A-Z]{2,}[a-z]+\w*\b")


def inflect(verb):
    """The verb's form after "the paper": proposes, studies, addresses, has, can."""
    if verb in MODALS:
        return verb
    if verb in IRREGULAR:
        return IRREGULAR[verb]
    if re.search(r"(?:s|sh|ch|x|z)$", verb):
        return verb + "es"
    if re.search(r"[^aeiou]y$", verb):
        return verb[:-1] + "ies"
    return verb + "s"


def third_person(sentence):
    """The sentence as a reader's digest says it: about the paper, not in its authors' voice."""
    match = FIRST_PERSON_RE.match(sentence)
    if match and match["verb"] in BASE_VERBS:
        said = inflect(match["verb"])
        subject = "the paper" if match["lead"] else "The paper"
        sentence = f"{match['lead']}{subject} {match['adverb'] or ''}{said}{sentence[match.end():]}"
    sentence = THIS_PAPER_RE.sub(lambda m: "The " + m.group(0).split(" ", 1)[1], sentence)
    return OUR_RE.sub(lambda m: "The paper's" if m.group(1) == "O" else "the paper's", sentence)


def is_dangling(sentence):
    return bool(DANGLING_RE.match(sentence))


def has_result(sentence):
    return bool(RESULT_RE.search(sentence))


def system_name(title, abstract):
    """The name the paper gives what it made: the title's part before a colon, or a name the abstract uses."""
    head = title.split(":", 1)[0].strip()
    if ":" in title and len(head.split()) == 1:
        return head
    names = NAME_RE.findall(abstract)
    return max(set(names), key=names.count) if names else ""


def contribution(sentences, name):
    """The sentence that says what the paper made and does, or None: its "we propose X" sentence, else its "this
    paper presents" one, else the first that has the system's name do something (a result is not what it does)."""
    for verbs in (MADE_VERBS, CONTRIBUTION_VERBS):  # "we propose X" before "we show that"
        for sentence in sentences:
            match = FIRST_PERSON_RE.match(sentence)
            if match and match["verb"] in verbs:
                if POINTS_BACK_RE.search(match["lead"]):
                    # Without a lead that points back ("To address these issues, "): it names what is not shown.
                    return "We " + sentence[match.start("adverb") if match["adverb"] else match.start("verb"):]
                return sentence
    for sentence in sentences:
        said = THIS_PAPER_RE.match(sentence)
        rest = sentence[said.end():].split() if said else []
        if rest and rest[0] in {inflect(verb) for verb in CONTRIBUTION_VERBS}:
            return sentence
    for sentence in sentences:
        if name and re.match(rf"{re.escape(name)}\s+(?:is\s+|are\s+)?[a-z]+\b", sentence) and not has_result(sentence):
            return sentence
    return None


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


def near_repeat(toks, taken):
    return any(len(toks & t) > 0.6 * min(len(toks), len(t) or 1) for t in taken)


def pick(sentences, prior_tokens, count, exclude=(), first=()):
    """The `count` best sentences, in the order the paper has them, without near-repeats of each other or of
    `exclude`, and none that points back at a sentence not shown. Those in `first` are taken before the rest."""
    candidates = [s for s in sentences if not is_dangling(s)] or list(sentences)
    scores = textrank(candidates, prior_tokens)
    ranked = sorted(range(len(candidates)), key=lambda i: (candidates[i] not in first, -scores[i], i))
    chosen = []
    taken_tokens = [tokens(s) for s in exclude]
    for i in ranked:
        toks = tokens(candidates[i])
        if candidates[i] in exclude or near_repeat(toks, taken_tokens):
            continue
        chosen.append(i)
        taken_tokens.append(toks)
        if len(chosen) == count:
            break
    return [candidates[i] for i in sorted(chosen)]


def escape(sentence):
    """The sentence as Markdown that shows it as it is; its $…$ formulas are left for the renderer's MathML."""
    pieces, last = [], 0
    for match in MATH_RE.finditer(sentence):
        if mathml(match.group(1)) is None:
            continue  # not a formula the renderer will show as one: escaped like the rest
        pieces += [MARKDOWN_SPECIAL_RE.sub(r"\\\1", sentence[last:match.start()]), match.group(0)]
        last = match.end()
    return "".join(pieces) + MARKDOWN_SPECIAL_RE.sub(r"\\\1", sentence[last:])


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
        prior = tokens(paper.title) | tokens(paper.abstract)
        abstract = split_sentences(paper.abstract, lang) or [paper.abstract.strip()]
        say = third_person if lang == "en" else (lambda sentence: sentence)

        named = contribution(abstract, system_name(paper.title, paper.abstract)) if lang == "en" else None
        summary = [named] if named else pick(abstract, prior, 1)
        sections = [SectionText("summary", escape(say(summary[0])) if summary else "", ["abstract"])]

        pool, sources = list(abstract), ["abstract"]
        if paper.text_ok:
            for kind in ("introduction", "conclusion"):
                part = paper.part(kind)
                if part.text:
                    pool += split_sentences(part.text, lang)
                    sources.append(kind)
        results = [s for s in abstract if has_result(s)]
        # A short abstract may have nothing left once the summary sentence is taken: repeat it then.
        takeaways = pick(pool, prior, self.LIMITS["key_takeaways"], exclude=summary, first=results) or summary
        sections.append(SectionText(
            "key_takeaways",
            "\n".join(f"- {escape(say(s))}" for s in takeaways),
            sources,
        ))

        used = summary + takeaways
        for kind in ("method", "conclusion"):
            section, chosen = self._part_section(paper, kind, abstract, prior, used, lang, say)
            sections.append(section)
            used += chosen
        return SummaryResult(
            sections=sections,
            backend=self.name,
            model=self.model,
            model_version=VERSION,
            prompt_version=self.prompt_version,
            language=lang,
        )

    def _part_section(self, paper, kind, abstract, prior, used, lang, say):
        notes = NOTES[lang]
        part = paper.part(kind)
        sentences = split_sentences(part.text, lang) if paper.text_ok else []
        chosen = pick(sentences, prior, self.LIMITS[kind], exclude=used) if sentences else []
        if chosen:
            where = ", ".join(part.titles) or notes["part"][kind]
            note = notes["quoted"].format(where=f"{where} ({page_range(part.pages)})")
            sources = [f"{t} ({page_range(part.pages)})" for t in part.titles] or [kind]
        else:
            # What the abstract has left once the sections above took theirs; nothing is said twice.
            chosen = pick(abstract, prior, 2, exclude=used)
            note = notes["abstract_only" if paper.text_ok else "no_text"].format(part=notes["part"][kind])
            if not chosen:
                note = note.split(";" if lang == "en" else "，")[0] + notes["abstract_used_up"]
            sources = ["abstract"]
        if kind == "method":
            body = "\n".join(f"{n}. {escape(say(s))}" for n, s in enumerate(chosen, 1))
        else:
            body = " ".join(escape(say(s)) for s in chosen)
        return SectionText(kind, f"{body}\n\n*{note}*" if body else f"*{note}*", sources), chosen
