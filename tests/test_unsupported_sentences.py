"""Every sentence of a section has the passage of the paper that supports it best; a sentence the paper does not
support (a number, a name or a claim from elsewhere) is flagged `unsupported` at its span."""

import pytest

from papers import generation
from papers.editorial import evidence, quality, review
from papers.ingest import figures, pdf
from papers.models import Paper, Section
from papers.summarizers import get_summarizer

from .factories import SAMPLE_RECORDS, sample_pdf


def sample(n):
    record = SAMPLE_RECORDS[n - 1]
    with pdf.open_pdf(sample_pdf(n)) as doc:
        extraction = pdf.extract_text(doc, figures.find_all(doc))
    return record, extraction


@pytest.mark.parametrize("n", range(1, 7))
def test_the_offline_summarys_own_sentences_are_all_supported(n):
    record, extraction = sample(n)
    paper = Paper(title=record.title, abstract=record.abstract, extraction=extraction, language="en", flags=[])
    passages = evidence.passages_of(record.abstract, extraction)
    for section in get_summarizer("extractive").summarize(generation.paper_text(paper), "en").sections:
        assert evidence.unsupported(section.text, passages) == [], section.kind


def test_a_sentence_from_another_paper_is_flagged_where_it_is():
    record, extraction = sample(1)
    passages = evidence.passages_of(record.abstract, extraction)
    planted = "We present GaussHead, a relightable head avatar built from 3D Gaussians with a learned reflectance field."
    text = f"- {evidence.sentences(record.abstract)[1]}\n- {planted}"
    (found,) = evidence.unsupported(text, passages)
    assert found["code"] == "unsupported" and text[found["start"]:found["end"]] == planted
    assert "GaussHead" in found["message"]


@pytest.mark.parametrize("sentence, why", [
    ("EchoFace lowers the Frechet video distance by 42 percent on both benchmarks.", "42"),
    ("EchoFace is trained on the VoxCeleb2 dataset with a memory of past motion.", "VoxCeleb2"),
    ("Quantum annealing schedules converge faster when the transverse field decays slowly.", "no passage"),
])
def test_a_number_a_dataset_or_a_claim_the_paper_does_not_have_is_unsupported(sentence, why):
    record, extraction = sample(1)
    (found,) = evidence.unsupported(sentence, evidence.passages_of(record.abstract, extraction))
    assert why in found["message"]


def test_each_sentence_comes_with_its_best_passage_and_page():
    record, extraction = sample(1)
    passages = evidence.passages_of(record.abstract, extraction)
    method = next(s["text"] for s in extraction["sections"] if s["kind"] == "method")
    quoted = evidence.sentences(method)[0]
    ((sentence, passage, share),) = evidence.evidence(f"1. {quoted}", passages)
    assert (sentence, passage.text, share, passage.page) == (quoted, quoted, 1.0, 2)


def test_chinese_sentences_and_papers_without_text_are_left_alone():
    record, extraction = sample(1)
    assert evidence.unsupported("模型使用了一个全新的数据集进行训练，效果非常好。", evidence.passages_of(record.abstract, extraction)) == []
    context = quality.Context(paper_text=record.abstract, passages=[])
    assert [f for f in quality.check_section("summary", "Quantum annealing converges faster.", context)
            if f["code"] == "unsupported"] == []


def test_an_editor_typing_an_unsupported_claim_sees_it_flagged_beside_its_evidence(reviewed_paper, editor, client):
    method = Section.objects.get(paper=reviewed_paper, kind="method", is_current=True)
    saved = review.edit_section(method.pk, method.body + "\n5. The model reaches 99.7 percent accuracy on ImageNet.",
                                method.version, editor)
    flagged = [f for f in saved.flags if f["code"] == "unsupported"]
    assert len(flagged) == 1 and "99.7, ImageNet" in flagged[0]["message"]
    client.force_login(editor)
    page = client.get(f"/admin/papers/paper/{reviewed_paper.pk}/review/").content.decode()
    evidence_list = page[page.index('<details class="evidence">', page.index('id="section-method"')):]
    evidence_list = evidence_list[:evidence_list.index("</details>")]
    assert "The model reaches 99.7 percent accuracy on ImageNet.<br>" in evidence_list
    assert evidence_list.count("nothing in the paper says this") == 1
    assert 'href="/admin/papers/paper/' in evidence_list and "#page=2" in evidence_list, "quoted passages link their page"
