"""The checks, measured against hand-labelled sections of the real posts, and kept from sliding."""

import pytest

from papers.editorial import quality
from papers.measurement.flag_measure import measure, ratio

from .conftest import DATA, SHARED, shared_file

TARGET_RECALL = {"repetition": 0.9, "echo": 0.9, "chatbot": 0.9, "wrong_language": 0.9}


@pytest.mark.corpus
def test_recall_and_false_flags_meet_the_targets():
    shared_file("posts", "2024-09-07_metaverse-virtual-human.md")
    stats, clean, clean_flagged = measure(DATA / "post_labels.json", SHARED / "posts")
    for name, target in TARGET_RECALL.items():
        s = stats[name]
        assert s["tp"] + s["fn"] >= 2, f"{name}: too few labelled examples to measure"
        assert ratio(s["tp"], s["tp"] + s["fn"]) >= target, (name, s)
    assert clean >= 20 and clean_flagged / clean < 0.1
    for name, s in stats.items():
        assert ratio(s["tp"], s["tp"] + s["fp"]) >= 0.8, (name, s)


def context(**kw):
    return quality.Context(**{"language": "zh", "backend": "gemini", **kw})


def codes(kind, text, ctx=None):
    return {f["code"] for f in quality.check_section(kind, text, ctx or context())}


def test_cut_off_mid_sentence():
    assert "cut_off" in codes("conclusion", "该方法在三个数据集上取得了最好的结果，并且在效率方面")
    assert "cut_off" not in codes("conclusion", "该方法在三个数据集上取得了最好的结果。")


def test_leaked_json_and_markup():
    assert "leaked_markup" in codes("summary", '{"summary": "A model."}')
    assert "leaked_markup" in codes("method", "1. Step one <li>two</li>")


def test_numbers_not_in_the_paper():
    ctx = context(paper_text="We reach 27.4 dB PSNR at 120 frames per second. " * 10)
    assert "unknown_numbers" not in codes("summary", "它达到 27.4 dB，每秒 120 帧。", ctx)
    flags = quality.check_section("summary", "它达到 31.9 dB，每秒 120 帧。", ctx)
    assert any(f["code"] == "unknown_numbers" and "31.9" in f["message"] for f in flags)


def test_extractive_text_is_never_flagged_for_its_language():
    english = "We present a diffusion model for talking heads that keeps a memory of motion. " * 3
    assert "wrong_language" in codes("summary", english)
    assert "wrong_language" not in codes("summary", english, context(backend="extractive"))


def test_an_english_digest_with_chinese_paragraphs_is_flagged_too():
    assert "wrong_language" in codes("method", "本文提出了一种新的方法，" * 5, context(language="en"))
