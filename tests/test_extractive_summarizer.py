"""The offline summarizer: the paper's own sentences, deterministic, honest about what it is."""

import re

import pytest

from papers import generation
from papers.ingest import figures, pdf
from papers.models import Paper
from papers.public.rendering import render_markdown
from papers.summarizers import get_summarizer
from papers.summarizers.base import PaperPart, PaperText
from papers.summarizers.extractive import split_sentences, third_person

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


def in_the_paper(sentence, source):
    """A sentence of the paper's, as written or turned into the third person."""
    return sentence in source or sentence in {third_person(s) for s in split_sentences(source)}


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
def test_every_sentence_is_the_papers_own_in_the_third_person(path):
    text, extraction = paper_text_for(path)
    source = " ".join([ABSTRACT] + [s["text"] for s in extraction["sections"]])
    result = get_summarizer("extractive").summarize(text, "zh")
    for section in result.sections:
        for sentence in sentences_of(section.text):
            assert in_the_paper(sentence, source), f"{section.kind}: {sentence!r} is not in the paper"


@pytest.mark.parametrize("path, source", corpus_cases(
    core=[(sample_pdf(1), "3 Method (p. 2)"), (SAMPLES / "two_column.pdf", "2 Method (p. 1)")],
    shared=[(HIFIAVATAR, "III. METHOD (pp. 3–6)")],
))
def test_the_method_comes_from_the_method_section_and_says_so(path, source):
    text, extraction = paper_text_for(path)
    method = {s.kind: s for s in get_summarizer("extractive").summarize(text, "en").sections}["method"]
    method_text = next(s["text"] for s in extraction["sections"] if s["kind"] == "method")
    assert re.match(r"1\. ", method.text)
    assert all(in_the_paper(s, method_text) for s in sentences_of(method.text))
    assert f"*Extractive: sentences taken from the paper's {source}.*" in method.text
    assert method.sources == [source]


def test_a_missing_section_is_written_from_the_abstract_and_labelled():
    text = PaperText(title="EchoFace", abstract=ABSTRACT, language="en",
                     parts={"introduction": PaperPart("Intro text that is long enough to be a sentence here.")})
    sections = {s.kind: s for s in get_summarizer("extractive").summarize(text, "zh").sections}
    assert "the method section was not found in the PDF text" in sections["method"].text
    assert sections["method"].sources == ["abstract"]
    assert sections["summary"].text == \
        "The paper presents EchoFace, a diffusion model with a memory of past motion over twenty seconds."


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
    assert sections["key_takeaways"].text == \
        "- The paper reconstructs head avatars from monocular video with a visual prior."


@pytest.mark.parametrize("sentence, said", [
    ("We present EchoFace, a model.", "The paper presents EchoFace, a model."),
    ("In this paper, we propose a method that works.", "The paper proposes a method that works."),
    ("To this end, we also introduce a loss.", "To this end, the paper also introduces a loss."),
    ("Specifically, we explicitly disentangle pose.", "Specifically, the paper explicitly disentangles pose."),
    ("We study avatars.", "The paper studies avatars."),
    ("We have shown that our model wins.", "The paper has shown that the paper's model wins."),
    ("This work presents a benchmark.", "The work presents a benchmark."),
    ("Our method is fast.", "The paper's method is fast."),
    ("Weather models are not ours.", "Weather models are not ours."),
    ("We rely on audio.", "The paper relies on audio."),
    ("We trained a model.", "We trained a model."),  # not a base form: left as written rather than made wrong
    ("We not only propose X.", "We not only propose X."),
])
def test_the_authors_voice_becomes_the_papers(sentence, said):
    assert third_person(sentence) == said


SURVEYED = (
    "Talking heads look stiff because models see little audio. To address these issues, we introduce HeadX, a "
    "diffusion model that keeps a memory of motion. It improves realism on every benchmark we tried. This makes "
    "long videos possible for the first time in the field. HeadX lowers the video distance by 18 percent and is "
    "preferred by viewers in 71% of pairwise comparisons. A memory bank stores compressed head poses and expressions."
)


def abstract_only(abstract, title="HeadX: Talking heads with memory"):
    text = PaperText(title=title, abstract=abstract, language="en", parts={}, text_ok=False)
    return {s.kind: s.text for s in get_summarizer("extractive").summarize(text, "en").sections}


def test_the_summary_says_what_the_paper_made_and_does_in_the_third_person():
    assert abstract_only(SURVEYED)["summary"] == \
        "The paper introduces HeadX, a diffusion model that keeps a memory of motion."


def test_the_takeaways_carry_the_abstracts_numeric_results():
    takeaways = abstract_only(SURVEYED)["key_takeaways"]
    assert "18 percent" in takeaways and "71%" in takeaways


def test_no_section_opens_a_sentence_that_points_back_at_one_not_shown():
    sections = abstract_only(SURVEYED)
    text = "\n".join(sections.values())
    assert "It improves realism" not in text and "This makes long videos" not in text


@pytest.mark.parametrize("path", corpus_cases(core=[sample_pdf(n) for n in range(1, 7)] + [SAMPLES / "scanned.pdf"],
                                              shared=[HIFIAVATAR]))
def test_no_sentence_is_in_two_sections(path):
    text, _ = paper_text_for(path)
    seen = {}
    for section in get_summarizer("extractive").summarize(text, "en").sections:
        for sentence in sentences_of(section.text):
            assert seen.setdefault(sentence, section.kind) == section.kind, f"{sentence!r} is in two sections"


def test_a_formula_in_a_chosen_sentence_stays_a_formula():
    summary = abstract_only(r"We present HeadX, a renderer whose cost grows as $\mathcal{O}(n \log n)$ in the views.")[
        "summary"]
    assert r"$\mathcal{O}(n \log n)$" in summary
    assert "<msub>" not in str(render_markdown(summary)) and "<math" in str(render_markdown(summary))


def test_the_contribution_sentence_keeps_a_condition_and_prefers_what_the_paper_made():
    summary = abstract_only(
        "If the noise is Gaussian, we show that the estimator is optimal. We presented a first version in 2023. "
        "In this paper, we propose HeadY, a faster estimator for any noise.")["summary"]
    assert summary == "The paper proposes HeadY, a faster estimator for any noise."
    assert abstract_only("If the noise is Gaussian, we show that the estimator is optimal. Noise is common.")[
        "summary"] == "If the noise is Gaussian, the paper shows that the estimator is optimal."
