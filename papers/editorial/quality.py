"""Checks on generated text. Each returns flags (papers.flags) that say what looks wrong and where."""

import re
from collections import defaultdict
from dataclasses import dataclass, field

from . import evidence
from .flags import SERIOUS, flag

# Far too long for what each section is meant to be; the runaway paragraph in
# the 2024-09-07 sample post is 3,044 characters.
SECTION_LIMITS = {"summary": 400, "key_takeaways": 2500, "method": 3500, "conclusion": 3000}
PARAGRAPH_LIMIT = 1200
REPEAT_MIN = 4

UNIT_RE = re.compile(r"[\u4e00-\u9fff]|[^\s\u4e00-\u9fff]+")
CJK_RE = re.compile(r"[\u4e00-\u9fff]")
LABEL_LINE_RE = re.compile(r"^[\s>*#-]*(\d+[.、]\s*)?(\*\*)?\s*(title|标题|题目|authors?|作者|affiliations?|keywords?|关键词|"
                           r"urls?|链接|论文链接|github|paper)", re.I)


def check_empty(kind, text):
    if not text.strip():
        return [flag("empty", "The section is empty.")]
    return []


def check_length(kind, text):
    flags = []
    limit = SECTION_LIMITS.get(kind)
    if limit and len(text) > 2 * limit:
        flags.append(flag("too_long", f"{len(text):,} characters; a {kind} is rarely over {limit:,}.",
                          0, len(text), severity=SERIOUS))
    elif limit and len(text) > limit:
        flags.append(flag("too_long", f"{len(text):,} characters; a {kind} is rarely over {limit:,}.",
                          0, len(text)))
    for match in re.finditer(r"[^\n]+", text):
        if len(match[0]) > PARAGRAPH_LIMIT:
            flags.append(flag("long_paragraph",
                              f"One paragraph runs {len(match[0]):,} characters without a break.",
                              match.start(), match.end()))
    return flags


def check_repetition(kind, text):
    """Runaway generation: a long run of words (or Chinese characters) over and over.

    A term used three times is normal; a 12-character run four times, or repeats that
    cover a third of the text, is a model looping.
    """
    units = [(m.start(), m.end()) for m in UNIT_RE.finditer(text)]
    cjk = len(CJK_RE.findall(text)) > len(units) / 2
    n = 12 if cjk else 8
    positions = defaultdict(list)
    for i in range(len(units) - n + 1):
        gram = text[units[i][0]:units[i + n - 1][1]].lower()
        last = positions[gram][-1] if positions[gram] else None
        if last is None or i - last >= n:  # count non-overlapping occurrences
            positions[gram].append(i)
    covered = set()
    for where in positions.values():
        if len(where) > 1:
            for i in where:
                covered.update(range(i, i + n))
    gram, where = max(positions.items(), key=lambda kv: len(kv[1]), default=(None, []))
    coverage = len(covered) / len(units) if units else 0
    if len(where) < REPEAT_MIN and not (coverage >= 0.3 and len(units) >= 400):
        return []
    start, end = units[where[0]][0], units[where[-1] + n - 1][1]
    return [flag("repetition", f"“{gram}” repeats {len(where)} times; repeats cover {coverage:.0%} of the text.",
                 start, end)]


def check_cut_off(kind, text, context):
    """Ends mid-sentence: the generation stopped before the sentence did."""
    body = re.sub(r"\n\n\*[^\n]*\*\s*$", "", text.rstrip())  # our own italic provenance note
    if len(body) < 20 or kind == "details":
        return []
    last = body.rstrip()[-1]
    if last.isalnum() or CJK_RE.match(last) or last in ",，、:：;；(（":
        return [flag("cut_off", "The text stops mid-sentence.", max(len(body) - 40, 0), len(body))]
    return []


PLACEHOLDER_RE = re.compile(
    r"请根据实际情况填写|XX大学|XX实验室|https?://xxx|\[论文链接地址\]|\[Github链接地址\]|xxx位置|"
    r"如果可用|否则填写|若存在，?请提供|\(xxx\)|（xxx）|<论文标题>|\bxxx\b|"
    r"请(按照|使用|用)(以下|中文|下面)|使用中文回答|按照(以下|上面|下面)的?格式|严格(遵循|按照)|"
    r"应涵盖以下内容|Output format|Please (use|follow) the (format|following)|此处您的回复", re.I)
CHATBOT_RE = re.compile(
    r"抱歉|无法(直接)?(给出|提供|回答|访问)|作为一个?(AI|人工智能|语言模型)|希望(以上|我的)?(回答|内容|信息)|"
    r"感谢您的(理解|配合|耐心)|如(果)?(您)?有(其他|任何)(问题|疑问)|请(您)?查阅|建议您(查阅|参考|请教|可以)|"
    r"I'?m sorry|As an AI|I (cannot|can't|am unable to)|Hope (this|that) helps|Let me know if|"
    r"feel free to", re.I)
BROKEN_RE = re.compile(r"[\u200b\u200c\u200d\ufeff\ufffd]|\\n")
MARKUP_RE = re.compile(r"```|^\s*[{\[]\s*\"|\"(summary|key_takeaways|method|conclusion)\"\s*:|</?(li|ol|ul|p|strong|div|br)\b[^>]*>", re.M)
GENERIC_RE = re.compile(
    r"文献综述|文献计量|内容分析法|前期调研|实验和数据分析|研究问题和假设|提出了相应的假设|数据收集|问卷调查|访谈|定性(研究|分析)|定量(研究|分析)|"
    r"案例研究|研究设计|理论框架|实证(研究|分析)|literature review|research questions?|hypothes[ie]s|data collection|"
    r"questionnaire|case stud(y|ies)|qualitative|quantitative", re.I)
LATIN_RE = re.compile(r"[A-Za-z]")
TERM_RE = re.compile(r"[A-Za-z][A-Za-z0-9\-]{2,}")
NUMBER_RE = re.compile(r"(?<![\w.])(\d+\.\d+|\d{3,}|\d+(?=\s?%))(?![\w.]*\d)")
AUTHOR_LINE_RE = re.compile(r"(?:作者|Authors?)\s*(?:\*\*)?\s*[:：]\s*(?:\*\*)?\s*([^\n]+)", re.I)
TERM_STOPWORDS = {"the", "and", "for", "with", "from", "this", "that", "our", "are", "via", "using", "based",
                  "method", "methods", "model", "models", "paper", "results", "show", "new", "its", "can", "which"}


def check_echo(kind, text, context):
    return [flag("echo", f"Prompt text or a template placeholder: “{m.group(0)}”.", m.start(), m.end())
            for m in PLACEHOLDER_RE.finditer(text)][:3]


def check_chatbot(kind, text, context):
    return [flag("chatbot", f"The model talks to the reader or refuses: “{m.group(0)}”.", m.start(), m.end())
            for m in CHATBOT_RE.finditer(text)][:3]


def is_name_list(line):
    """"Ruijie Zhu，Yanzhe Liang，…": people's names, not prose in the wrong language."""
    items = [i.strip() for i in re.split(r"[,，、;；]", line) if i.strip()]
    return len(items) >= 3 and all(len(i.split()) <= 4 and i[:1].isupper() for i in items)


def written_in(text, language):
    """Whether text reads as the language as a whole: Chinese or, for every other language, Latin script."""
    cjk, latin = len(CJK_RE.findall(text)), len(LATIN_RE.findall(text))
    return cjk >= 10 and cjk >= 0.3 * latin if language == "zh" else latin >= cjk


def check_language(kind, text, context):
    """Written in the wrong language for the topic (extractive text keeps the paper's own by design)."""
    if context.backend == "extractive" or not context.language:
        return []
    flags = []
    for match in re.finditer(r"[^\n]+", text):
        line = match.group(0)
        if LABEL_LINE_RE.match(line) or is_name_list(line):  # titles, names, keywords, links may be in English
            continue
        cjk, latin = len(CJK_RE.findall(line)), len(LATIN_RE.findall(line))
        if context.language == "zh" and latin >= 80 and cjk < 0.1 * latin:
            flags.append(flag("wrong_language", "A paragraph in English in a Chinese digest.", match.start(), match.end()))
        elif context.language == "en" and cjk >= 20 and cjk > 0.3 * latin:
            flags.append(flag("wrong_language", "A paragraph in Chinese in an English digest.", match.start(), match.end()))
    return flags[:3]


def check_broken(kind, text, context):
    match = BROKEN_RE.search(text)
    if not match:
        return []
    count = len(BROKEN_RE.findall(text))
    return [flag("broken_chars", f"{count} invisible or broken character(s) (zero-width space, U+FFFD, a literal \\n).",
                 match.start(), match.end())]


def check_markup(kind, text, context):
    match = MARKUP_RE.search(text)
    if not match:
        return []
    return [flag("leaked_markup", f"Leaked JSON or markup: “{match.group(0)[:30]}”.", match.start(), match.end())]


def check_authors(kind, text, context):
    """Names given as the authors that are not the paper's (the samples invent whole author lists)."""
    if not context.authors:
        return []
    surnames = {part.lower() for name in context.authors for part in re.findall(r"[A-Za-z\-]{2,}", name)}
    flags = []
    for match in AUTHOR_LINE_RE.finditer(text):
        names = [n.strip(" .*") for n in re.split(r"[,，、;；]|\band\b|和|及|等", match.group(1)) if n.strip(" .*")]
        latin = [n for n in names if LATIN_RE.search(n)]
        if latin and not any(any(p.lower() in surnames for p in re.findall(r"[A-Za-z\-]{2,}", n)) for n in latin):
            flags.append(flag("invented_authors", "Authors named here are not the paper's authors.",
                              match.start(1), match.end(1)))
    return flags


def check_numbers(kind, text, context):
    """Numbers that appear nowhere in the paper (only where the paper's text is known)."""
    if len(context.paper_text) < 200:
        return []
    known = set(NUMBER_RE.findall(context.paper_text))
    unknown = [m for m in NUMBER_RE.finditer(text) if m.group(1) not in known and not re.fullmatch(r"(19|20)\d\d", m.group(1))]
    if not unknown:
        return []
    shown = ", ".join(m.group(1) for m in unknown[:5])
    return [flag("unknown_numbers", f"Numbers not found in the paper: {shown}.", unknown[0].start(), unknown[0].end())]


def check_unsupported(kind, text, context):
    """Sentences that no passage of the paper supports; only where the paper's own text was extracted."""
    return evidence.unsupported(text, context.passages) if context.passages else []


def check_generic(kind, text, context):
    """A method section that could be about any paper: research-method boilerplate, none of the paper's terms."""
    if kind != "method" or len(text) < 150 or not context.paper_text:
        return []
    hits = GENERIC_RE.findall(text)
    terms = {t.lower() for t in TERM_RE.findall(context.title + " " + context.paper_text[:3000])} - TERM_STOPWORDS
    shared = {t.lower() for t in TERM_RE.findall(text)} & terms
    if len(hits) >= 3 or (len(hits) >= 2 and not shared):
        return [flag("generic", "Generic research-method text that does not describe this paper.", 0, len(text))]
    return []


@dataclass
class Context:
    """What the checks know about the section: its paper, the digest's language, who wrote it."""

    title: str = ""
    authors: list = field(default_factory=list)
    paper_text: str = ""  # abstract plus whatever was extracted
    passages: list = field(default_factory=list)  # the extracted text as sentences (papers.editorial.evidence)
    language: str = ""
    backend: str = ""


def context_for(paper, generation):
    extraction = " ".join(s.get("text", "") for s in (paper.extraction or {}).get("sections", []))
    return Context(title=paper.title, authors=paper.authors, paper_text=f"{paper.abstract} {extraction}".strip(),
                   passages=evidence.passages_of(paper.abstract, paper.extraction) if extraction.strip() else [],
                   language=generation.language, backend=generation.backend)


BASIC_CHECKS = [check_empty, check_length, check_repetition]
CONTEXT_CHECKS = [check_cut_off, check_echo, check_chatbot, check_language, check_broken, check_markup,
                  check_authors, check_numbers, check_unsupported, check_generic]


# A translation is checked for its language only: its words are not the paper's, by design.
TRANSLATION_CHECKS = [check_language]


def check_section(kind, text, context=None):
    flags = []
    for check in BASIC_CHECKS:
        flags.extend(check(kind, text))
    if text.strip():
        for check in TRANSLATION_CHECKS if kind == "translated_abstract" else CONTEXT_CHECKS:
            flags.extend(check(kind, text, context or Context()))
    return flags


def score(flags):
    return sum(f["severity"] for f in flags)
