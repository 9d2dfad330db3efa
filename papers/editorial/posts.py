"""Reading ChatPaperFree/Hexo digest posts (import) and writing a published day as one (export).

A post is front matter, then one "## title" entry per paper:

    **Authors:…**  abstract  [PDF](arxiv url) comment
    **Summary** (or 摘要, 要点…)  one paragraph
    **Key Takeaways** (or 要点, 关键见解…)  a list
    **[ChatPaperFree](…)**
    the numbered digest, in Markdown or (until April 2024) HTML <ol><li><p>…:
      1. title 2. authors 3. affiliation 4. keywords 5. urls 6. background/summary
      7. 方法 / Methods  8. 结论 / Conclusion
    <details> the screenshots </details>

Nothing is dropped: the numbered items before the method go to a "details" section.
"""

import html
import re
from dataclasses import dataclass, field
from typing import NamedTuple

from django.db import transaction
from django.db.models import Q
from django.utils.text import slugify

from .. import lifecycle
from ..identifiers import is_arxiv_id, phrase
from ..ingest.arxiv_source import find_links
from ..models import Generation, Paper, Topic
from . import drafts

FRONT_MATTER_RE = re.compile(r"\A\s*---\n(.*?)\n---\n", re.S)
ENTRY_RE = re.compile(r"^## (?!#)(.+)$", re.M)
AUTHORS_RE = re.compile(r"^\*\*Authors?\s*[:：]\s*(.+?)\*\*\s*$", re.M)
# The comment is what follows on the same line, if anything: never the next line's heading.
PDF_RE = re.compile(r"^\[PDF\]\((https?://arxiv\.org/abs/([^)\s]+?)(?:v(\d+))?)\)[ \t]*(.*)$", re.M)
# A heading alone on its line ("**Summary**"), or followed by a colon and the section's first line
# ("**Summary**：扩散模型…").
BOLD_HEADING_RE = re.compile(r"^\*\*(?!\[ChatPaperFree)([^*\n]{1,40})\*\*(?:[ \t]*[:：][ \t]*|[ \t]*$)", re.M)
CHATPAPER_RE = re.compile(r"^\*\*\[ChatPaperFree\]\([^)]*\)\*\*\s*$", re.M)
DETAILS_RE = re.compile(r"<details>.*?(?:</details>|\Z)", re.S)
IMG_RE = re.compile(r"<img[^>]+src=\"([^\"]+)\"")
METHOD_RE = re.compile(r"^[ \t>#*-]*(?:\d+[.、]\s*)?(?:\*\*)?\s*(?:方法论|方法|Methods?|Methodology)[^\n:：]{0,8}?(?:\*\*)?\s*[:：]",
                       re.M | re.I)
CONCLUSION_RE = re.compile(r"^[ \t>#*-]*(?:\d+[.、]\s*)?(?:\*\*)?\s*(?:结论|總結|总结|Conclusions?)\s*(?:\*\*)?\s*[:：]", re.M | re.I)


@dataclass
class Entry:
    title: str
    arxiv_id: str
    version: int
    abs_url: str
    authors: list
    abstract: str
    comment: str
    sections: dict = field(default_factory=dict)  # kind -> Markdown text
    screenshots: list = field(default_factory=list)


@dataclass
class Post:
    meta: dict
    entries: list
    rejected: list = field(default_factory=list)  # (entry title, why it was left out)


class PostError(ValueError):
    """A file that is not a post this importer can read."""


def front_matter(text):
    match = FRONT_MATTER_RE.match(text)
    if not match:
        return {}, text
    meta, key = {}, None
    for line in match.group(1).splitlines():
        if re.match(r"^\s+-\s+", line) and key:
            if isinstance(meta.get(key), list):
                meta[key].append(line.split("-", 1)[1].strip())
        elif ":" in line:
            key, value = line.split(":", 1)
            key = key.strip()
            meta[key] = value.strip() or []
    return meta, text[match.end():]


def html_to_text(fragment):
    """The HTML-era digest as plain text lines, list items kept as lines."""
    text = re.sub(r"<li>\s*", "\n", fragment)
    text = re.sub(r"</?(p|ol|ul|li|br)\s*/?>", "\n", text)
    text = re.sub(r"<[^>]+>", "", text)
    text = html.unescape(text)
    return re.sub(r"\n{3,}", "\n\n", "\n".join(line.rstrip() for line in text.splitlines())).strip()


def parse(text):
    meta, body = front_matter(text)
    starts = list(ENTRY_RE.finditer(body))
    post = Post(meta, [])
    for match, following in zip(starts, starts[1:] + [None]):
        block = body[match.end(): following.start() if following else len(body)]
        entry = parse_entry(match.group(1).strip(), block)
        if entry is None:
            continue
        if is_arxiv_id(entry.arxiv_id):
            post.entries.append(entry)
        else:
            post.rejected.append((entry.title, f"{entry.arxiv_id[:40]!r} is not an arXiv id"))
    return post


def parse_entry(title, block):
    pdf = PDF_RE.search(block)
    if not pdf:
        return None
    authors = AUTHORS_RE.search(block)
    abstract_start = authors.end() if authors else 0
    abstract = block[abstract_start:pdf.start()].strip()
    after = block[pdf.end():]
    screenshots = []
    for details in DETAILS_RE.findall(after):
        screenshots += IMG_RE.findall(details)
    after = DETAILS_RE.sub("", after)
    chat = CHATPAPER_RE.search(after)
    head, digest = (after[: chat.start()], after[chat.end():]) if chat else (after, "")
    headings = list(BOLD_HEADING_RE.finditer(head))
    sections = {}
    if headings:
        parts = [head[h.end(): (headings[i + 1].start() if i + 1 < len(headings) else len(head))].strip()
                 for i, h in enumerate(headings)]
        sections["summary"] = parts[0]
        if len(parts) > 1:
            sections["key_takeaways"] = "\n".join(parts[1:]).strip()
    digest = digest.strip()
    if "<ol>" in digest or "<li>" in digest or "<p>" in digest:
        digest = html_to_text(digest)
    method = METHOD_RE.search(digest)
    conclusion = CONCLUSION_RE.search(digest, method.end() if method else 0)
    details_end = method.start() if method else (conclusion.start() if conclusion else len(digest))
    if digest[:details_end].strip():
        sections["details"] = digest[:details_end].strip()
    if method:
        sections["method"] = digest[method.end(): conclusion.start() if conclusion else len(digest)].strip()
    if conclusion:
        sections["conclusion"] = digest[conclusion.end():].strip()
    return Entry(
        title=re.sub(r"\s+", " ", title), arxiv_id=pdf.group(2), version=int(pdf.group(3) or 1),
        abs_url=pdf.group(1).replace("http://", "https://"),
        authors=[a.strip() for a in re.split(r",\s*", authors.group(1)) if a.strip()] if authors else [],
        abstract=re.sub(r"\s+", " ", abstract), comment=pdf.group(4).strip(), sections=sections,
        screenshots=screenshots,
    )


def unique_entries(post):
    """A post sometimes lists a paper twice: the first entry counts."""
    seen, entries = set(), []
    for entry in post.entries:
        if entry.arxiv_id not in seen:
            seen.add(entry.arxiv_id)
            entries.append(entry)
    return entries


IMPORTED_KINDS = ("summary", "key_takeaways", "method", "conclusion", "details")
CJK_RE = re.compile(r"[\u4e00-\u9fff]")


def post_language(post):
    text = " ".join(e.sections.get("summary", "") for e in post.entries)
    return "zh" if len(CJK_RE.findall(text)) > len(text) / 5 else "en"


def read_post(data):
    """A post file's text, or a PostError that says why it is not one."""
    if b"\0" in data:
        raise PostError("a binary file, not a Markdown post")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PostError(f"not UTF-8 text (byte {exc.start})") from None
    return text


class Imported(NamedTuple):
    topic: Topic
    matched: str  # how the topic was found: "same name", "same slug", "same name before ' · '" or "new topic"
    created: int
    skipped: int
    rejected: list


def topic_for(name, language):
    """The topic a post's papers go to: one with the same name, the same slug, or whose name is this one followed by
    a translation ("元宇宙/虚拟人 · Virtual humans" for "元宇宙/虚拟人"); else a new topic that fetches nothing."""
    slug = slugify(name, allow_unicode=True) or "imported"
    for how, match in (("same name", Q(name=name)), ("same slug", Q(slug=slug)),
                       ("same name before ' · '", Q(name__startswith=f"{name} · "))):
        found = Topic.objects.filter(match).order_by("pk").first()
        if found:
            return found, how
    topic = Topic.objects.create(slug=slug, name=name, query=f"all:{phrase(name)}", language=language, active=False)
    return topic, "new topic"


def import_post(text, name=""):
    """Import one post into a topic, papers and draft sections (backend "imported").

    Idempotent by arXiv id: a paper imported before is left alone. A post with no paper entry in it is a PostError,
    and makes no topic.
    """
    post = parse(text)
    if not post.entries:
        raise PostError("; ".join(f"{title[:60]!r}: {why}" for title, why in post.rejected)
                        or "no paper entries in it (a '## title' with a [PDF](https://arxiv.org/abs/…) line)")
    tags = post.meta.get("tags") or []
    topic_name = (tags[0] if isinstance(tags, list) and tags else "") or str(post.meta.get("title") or "Imported")
    language = post_language(post)
    topic, matched = topic_for(topic_name, language)
    created = skipped = 0
    for entry in unique_entries(post):
        with transaction.atomic():
            paper = Paper.objects.filter(arxiv_id=entry.arxiv_id).first()
            if paper is None:
                project, code = find_links(entry.comment)
                paper = lifecycle.create_drafted(
                    topic, arxiv_id=entry.arxiv_id, version=entry.version, title=entry.title, authors=entry.authors,
                    abstract=entry.abstract, comment=entry.comment, abs_url=entry.abs_url,
                    pdf_url=f"https://arxiv.org/pdf/{entry.arxiv_id}v{entry.version}",
                    project_url=project, code_url=code, language="zh" if CJK_RE.search(entry.title) else "en",
                )
            lifecycle.add_topic(paper, topic)
            if Generation.objects.filter(paper=paper, backend="imported").exists():
                skipped += 1
                continue
            generation = Generation.objects.create(
                paper=paper, paper_version=paper.version, backend="imported", model="ChatPaperFree",
                prompt_version="chatpaperfree", language=language,
                sections={**{k: {"text": v, "sources": [f"post {name}".strip()]} for k, v in entry.sections.items()},
                          "screenshots": entry.screenshots},
            )
            for kind in IMPORTED_KINDS:
                if kind in entry.sections or kind != "details":
                    drafts.add_draft(paper, generation, kind)
            lifecycle.refresh_flag_score(paper)
            created += 1
    return Imported(topic, matched, created, skipped, post.rejected)


def export_day(topic, day):
    """A published day of a topic as a ChatPaperFree/Hexo post: the same shape import_post reads.
    None when nothing of the topic was published that day."""
    papers = list(
        Paper.objects.published().with_public_parts().filter(topics=topic, published_on=day)
        .order_by("published_at", "pk")
    )
    if not papers:
        return None
    sections = {paper.pk: {s.kind: s.published_body for s in paper.public_sections} for paper in papers}
    zh = topic.language == "zh"
    names = {"summary": "Summary", "key_takeaways": "Key Takeaways"}
    lines = [
        "---", f"title: {topic.name}", f"date: {day:%Y-%m-%d} 00:00:00", "categories: Paper", "tags:",
        f"    - {topic.name}",
        f"description: {topic.name} {'方向最新论文已更新' if zh else 'new papers'} {day:%Y-%m-%d}",
        f"keywords: {topic.name}", "---", "",
        "> Reviewed by an editor before publication. Generated with Paper Digest.", "",
        f"# {day:%Y-%m-%d} {'更新' if zh else 'update'}", "",
    ]
    for paper in papers:
        own = sections.get(paper.pk, {})
        public = paper.publication
        lines += [f"## {public.title}", "", f"**Authors:{', '.join(public.authors)}**", "", public.abstract, "",
                  f"[PDF]({public.abs_url}) {public.comment}".rstrip(), ""]
        for kind in ("summary", "key_takeaways"):
            lines += [f"**{names[kind]}**", own.get(kind, ""), ""]
        lines += ["**[ChatPaperFree](https://huggingface.co/spaces/Kedreamix/ChatPaperFree)**", ""]
        if own.get("details"):
            lines += [own["details"], ""]
        lines += [f"7. {'方法' if zh else 'Methods'}:", "", own.get("method", ""), "",
                  f"8. {'结论' if zh else 'Conclusion'}:", "", own.get("conclusion", ""), ""]
        kept = paper.public_figures
        if kept:
            lines += ["<details>", "  <summary>点此查看论文截图</summary>" if zh else "  <summary>Figures</summary>"]
            lines += [f'<img src="/media/{f.image}" align="middle">' for f in kept]
            lines += ["</details>", ""]
    return "\n".join(lines) + "\n"
