"""The offline summarizer: the paper's own sentences, deterministic, honest about what it is."""

import re

import pytest

from papers import generation
from papers.ingest import figures, pdf
from papers.models import Paper
from papers.public.rendering import render_markdown
from papers.summarizers import get_summarizer
from papers.summarizers.base import PaperPart, PaperText
from papers.summarizers.extractive import split_sentences

from .conftest import SHARED, corpus_cases
from .factories import SAMPLES, sample_pdf

HIFIAVATAR = SHARED / "pdfs" / "avatar_hifiavatar_ieee_tmm_draft_anonymized.pdf"

ABSTRACT = (
    "Audio-driven portrait animation produces stiff heads. We present EchoFace, a diffusion model with a "
    "memory of past motion over twenty seconds. EchoFace lowers the video distance by 18 percent."
)


def paper_text_for(path):
    with pdf.open_pdf(path) as doc:
        extraction = pdf.extract_text(doc, figures.find_all(doc))
    paper = Paper(title="T", abstract=ABSTRACT, extraction=extraction, language=extraction["quality"]["language"],
                  flags=extraction["flags"])
    return generation.paper_text(paper), extraction


def sentences_of(markdown):
    text = re.sub(r"^\s*(?:\d+\.|-)\s+", "", markdown, flags=re.M)
    text = re.sub(r"\n\n\*.*\*$", "", text.strip(), flags=re.S)
    return [s for s in split_sentences(text.replace("\\", "")) if s]


@pytest.mark.parametrize("path", corpus_cases(core=[sample_pdf(2)], shared=[HIFIAVATAR]))
def test_it_is_deterministic(path):
    text, _ = paper_text_for(path)
    first = get_summarizer("extractive").summarize(text, "zh").as_json()
    assert get_summarizer("extractive").summarize(text, "zh").as_json() == first


@pytest.mark.parametrize("path", corpus_cases(
    core=[sample_pdf(1), sample_pdf(3), SAMPLES / "two_column.pdf"],
    shared=[HIFIAVATAR, SHARED / "pdfs" / "2303.07610v1_cjk_2col_belle.pdf"],
))
def test_every_sentence_is_quoted_from_the_paper(path):
    text, extraction = paper_text_for(path)
    source = " ".join([ABSTRACT] + [s["text"] for s in extraction["sections"]])
    result = get_summarizer("extractive").summarize(text, "zh")
    for section in result.sections:
        for sentence in sentences_of(section.text):
            assert sentence in source, f"{section.kind}: {sentence!r} is not in the paper"


@pytest.mark.parametrize("path, source", corpus_cases(
    core=[(sample_pdf(1), "3 Method (p. 2)"), (SAMPLES / "two_column.pdf", "2 Method (p. 1)")],
    shared=[(HIFIAVATAR, "III. METHOD (pp. 3–6)")],
))
def test_the_method_comes_from_the_method_section_and_says_so(path, source):
    text, extraction = paper_text_for(path)
    method = {s.kind: s for s in get_summarizer("extractive").summarize(text, "en").sections}["method"]
    method_text = next(s["text"] for s in extraction["sections"] if s["kind"] == "method")
    assert re.match(r"1\. ", method.text)
    assert all(s in method_text for s in sentences_of(method.text))
    assert f"*Extractive: sentences quoted from the paper's {source}.*" in method.text
    assert method.sources == [source]


def test_a_missing_section_is_written_from_the_abstract_and_labelled():
    text = PaperText(title="EchoFace", abstract=ABSTRACT, language="en",
                     parts={"introduction": PaperPart("Intro text that is long enough to be a sentence here.")})
    sections = {s.kind: s for s in get_summarizer("extractive").summarize(text, "zh").sections}
    assert "the method section was not found in the PDF text" in sections["method"].text
    assert sections["method"].sources == ["abstract"]
    assert sections["summary"].text in ABSTRACT


def test_chinese_text_stays_chinese_and_says_it_is_extractive():
    abstract = "本文提出一种音频驱动的人像动画方法。该方法利用长时运动记忆，使头部动作更加自然。实验表明，视频距离降低了百分之十八。"
    method = "我们的模型由运动编码器和记忆库组成。记忆库保存最近五百帧的运动编码。每个去噪步骤都通过交叉注意力读取记忆库。"
    text = PaperText(title="回声脸", abstract=abstract, language="zh",
                     parts={"method": PaperPart(method, ["3 方法"], [2, 3], "heading")})
    sections = {s.kind: s for s in get_summarizer("extractive").summarize(text, "en").sections}
    assert sections["summary"].text in abstract
    assert "抽取式：以下句子摘录自论文的3 方法" in sections["method"].text
    assert re.search(r"[\u4e00-\u9fff]", sections["key_takeaways"].text)


def test_markdown_in_paper_text_is_escaped():
    abstract = "We use *stars* and <b>tags</b> and [links](https://x.org) in an abstract sentence here. Second one."
    text = PaperText(title="T", abstract=abstract, language="en", parts={})
    summary = get_summarizer("extractive").summarize(text, "en").sections[0].text
    assert "\\*stars\\*" in summary and "\\[links\\]" in summary
    html = str(render_markdown(summary))
    assert "*stars*" in html and "&lt;b&gt;tags&lt;/b&gt;" in html and "<a " not in html


def test_a_short_abstract_still_gives_key_takeaways():
    text = PaperText(title="T", abstract="We reconstruct head avatars from monocular video with a visual prior.",
                     language="en", parts={}, text_ok=False)
    sections = {s.kind: s for s in get_summarizer("extractive").summarize(text, "en").sections}
    assert sections["key_takeaways"].text == "- We reconstruct head avatars from monocular video with a visual prior."
