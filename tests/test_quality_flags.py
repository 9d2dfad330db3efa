"""First quality flags: empty, far too long, repeated phrases, measured on a real post."""

import pytest

from papers.editorial import quality

from .conftest import shared_file


def codes(flags):
    return sorted(f["code"] for f in flags)


@pytest.mark.corpus
def test_the_runaway_paragraph_of_the_reference_post_is_flagged_where_it_is():
    lines = shared_file("posts", "2024-09-07_metaverse-virtual-human.md").read_text().splitlines()
    runaway = next(line for line in lines if line.startswith("4. 关键词"))
    assert len(runaway) == 3044
    flags = quality.check_section("key_takeaways", runaway)
    assert {"long_paragraph", "too_long"} <= set(codes(flags))
    long = next(f for f in flags if f["code"] == "long_paragraph")
    assert (long["start"], long["end"]) == (0, 3044)


def test_a_clean_summary_from_a_real_post_raises_nothing():
    text = "提出Loopy模型，实现音频驱动的人脸视频生成，提升运动自然性与画面质量。"
    assert quality.check_section("summary", text) == []


def test_repetition_points_at_the_repeated_run():
    text = "The model is good. " + "It improves the quality of the generated results by a margin. " * 4 + "End."
    (flag,) = [f for f in quality.check_section("conclusion", text) if f["code"] == "repetition"]
    assert "repeats 4 times" in flag["message"]
    assert text[flag["start"]:flag["end"]].startswith("It improves the quality")


def test_a_term_used_three_times_is_not_repetition():
    text = "该模块将输入图像转换为三平面表示。运动适配器将三平面表示与驱动条件关联。超分辨率模型读取三平面表示并合成视频。"
    assert "repetition" not in codes(quality.check_section("method", text))


def test_chinese_repetition_is_found_by_characters():
    text = "本文方法有效。" + "该方法显著提升了生成视频的质量和稳定性，" * 4
    assert "repetition" in codes(quality.check_section("method", text))


def test_empty_and_far_too_long():
    assert codes(quality.check_section("method", "  \n")) == ["empty"]
    long = ("A sentence of a reasonable length for a summary. " * 20).strip()
    flags = quality.check_section("summary", long)
    assert [f["severity"] for f in flags if f["code"] == "too_long"] == [3]
    assert quality.score(flags) >= 3
