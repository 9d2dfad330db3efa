"""Importing the real ChatPaperFree posts, and exporting a reviewed day back into the same shape."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from papers.editorial import posts
from papers.models import Generation, Paper, Section, Topic

from .conftest import shared_file
from .factories import publish, published_paper

POSTS = ["2024-01-24_talking-head-generation.md", "2024-02-13_3dgs.md", "2024-04-17_diffusion-models.md",
         "2024-08-23_diffusion-models.md", "2024-09-07_metaverse-virtual-human.md", "2024-09-15_nerf.md",
         "2024-10-12_3dgs.md", "2024-12-07_talking-head-generation.md"]
PAPERS_PER_POST = [31, 2, 13, 32, 3, 17, 14, 3]  # "## " entries in each file, all distinct papers


@pytest.fixture
def imported(db):
    call_command("import_posts", *[str(shared_file("posts", name)) for name in POSTS])


@pytest.mark.corpus
def test_every_sample_post_imports_with_its_paper_count(db):
    for name, count in zip(POSTS, PAPERS_PER_POST):
        text = shared_file("posts", name).read_text(encoding="utf-8")
        assert text.count("\n## ") == count
        result = posts.import_post(text, name)
        assert (result.created, result.skipped) == (count, 0), name
    assert Paper.objects.count() == sum(PAPERS_PER_POST)
    assert Paper.objects.filter(stage=Paper.Stage.DRAFTED).count() == sum(PAPERS_PER_POST)


@pytest.fixture
def exported(topic, django_user_model):
    """A post that Paper Digest wrote: the published day of two sample papers, exported."""
    user = django_user_model.objects.create_superuser("pub", "p@example.org", "pw")
    papers = [published_paper(topic, user, n) for n in (1, 2)]
    return posts.export_day(topic, papers[0].published_on), papers


def new_papers(post):
    """The same post about papers this database has never seen (other arXiv ids)."""
    return post.replace("2700.0", "2700.9")


def test_importing_twice_adds_nothing(exported):
    post = new_papers(exported[0])
    assert posts.import_post(post)[2:4] == (2, 0)
    before = (Paper.objects.count(), Section.objects.count())
    assert posts.import_post(post)[2:4] == (0, 2)
    assert (Paper.objects.count(), Section.objects.count()) == before


@pytest.mark.corpus
def test_importing_a_real_post_twice_adds_nothing(imported):
    before = (Paper.objects.count(), Section.objects.count())
    result = posts.import_post(shared_file("posts", POSTS[4]).read_text(encoding="utf-8"))
    assert (result.created, result.skipped) == (0, 3)
    assert (Paper.objects.count(), Section.objects.count()) == before


def test_a_paper_listed_twice_in_one_post_is_imported_once(exported):
    text = new_papers(exported[0])
    first = text[text.index("\n## "):text.index("\n## ", text.index("\n## ") + 1)]
    before = Paper.objects.count()
    assert posts.import_post(text + first).created == 2 and Paper.objects.count() == before + 2


@pytest.mark.corpus
def test_metadata_comes_from_the_post_and_nothing_is_dropped(imported):
    loopy = Paper.objects.get(arxiv_id="2409.02634")
    assert (loopy.version, loopy.authors[:2]) == (2, ["Jianwen Jiang", "Chao Liang"])
    assert loopy.project_url == "https://loopyavatar.github.io/"
    assert loopy.abstract.startswith("With the introduction of diffusion-based video generation")
    topic = Topic.objects.get(name="元宇宙/虚拟人")
    assert topic.language == "zh" and not topic.active
    amg = Paper.objects.get(arxiv_id="2409.01502")
    kinds = set(amg.sections.values_list("kind", flat=True))
    assert kinds == {"summary", "key_takeaways", "details", "method", "conclusion"}
    assert amg.sections.get(kind="details").generated.startswith("1. 标题：")
    generation = Generation.objects.get(paper=amg)
    assert (generation.backend, generation.prompt_version) == ("imported", "chatpaperfree")
    assert len(generation.sections["screenshots"]) >= 1


@pytest.mark.corpus
def test_the_html_era_digest_is_read_too(imported):
    portrait = Paper.objects.get(arxiv_id="2401.08503")
    method = portrait.sections.get(kind="method").generated
    assert method.startswith("（1）图像到平面模型") and "<p>" not in method
    assert portrait.sections.get(kind="details").generated.startswith("标题：Real3D-Portrait")


@pytest.mark.corpus
def test_the_reference_posts_defects_lead_the_queue_with_their_spans(imported):
    loopy_method = Section.objects.get(paper__arxiv_id="2409.02634", kind="method")
    assert {"generic", "echo"} <= {f["code"] for f in loopy_method.flags}
    amg_details = Section.objects.get(paper__arxiv_id="2409.01502", kind="details")
    runaway = next(f for f in amg_details.flags if f["code"] == "long_paragraph" and "3,044" in f["message"])
    assert amg_details.generated[runaway["start"]:runaway["end"]].startswith("4. 关键词：视频生成技术")
    queue = list(Paper.objects.review_queue().values_list("arxiv_id", flat=True))
    clean = Paper.objects.get(arxiv_id="2402.07207")
    assert queue.index("2409.01502") < queue.index(clean.arxiv_id)


def test_a_published_day_exports_as_a_post_that_imports_back_the_same(exported, topic):
    post, papers = exported
    assert post.startswith(f"---\ntitle: {topic.name}\n") and post.count("\n## ") == 2
    before = {(s.paper.arxiv_id, s.kind): s.published_body
              for s in Section.objects.filter(paper__topics=topic, public=True).select_related("paper")}
    reparsed = posts.parse(post)
    after = {(e.arxiv_id, kind): text for e in reparsed.entries for kind, text in e.sections.items()}
    assert {k: v for k, v in after.items() if v} == {k: v for k, v in before.items() if v}
    assert {e.arxiv_id: e.authors for e in reparsed.entries} == {p.arxiv_id: p.authors for p in papers}


@pytest.mark.corpus
def test_a_published_chinese_day_exports_and_imports_back_the_same(imported, django_user_model):
    user = django_user_model.objects.create_superuser("pub", "p@example.org", "pw")
    topic = Topic.objects.get(name="元宇宙/虚拟人")
    for paper in topic.papers.all():
        publish(paper, user)
    day = Paper.objects.published().filter(topics=topic).first().published_on
    exported = posts.export_day(topic, day)
    assert exported.startswith("---\ntitle: 元宇宙/虚拟人\n") and exported.count("\n## ") == 3
    before = {(s.paper.arxiv_id, s.kind): s.published_body
              for s in Section.objects.filter(paper__topics=topic, public=True).select_related("paper")}
    reparsed = posts.parse(exported)
    after = {(e.arxiv_id, kind): text for e in reparsed.entries for kind, text in e.sections.items()}
    assert {k: v for k, v in after.items() if v} == {k: v for k, v in before.items() if v}
    assert {e.arxiv_id: e.authors for e in reparsed.entries} == {p.arxiv_id: p.authors for p in topic.papers.all()}


def test_export_digest_command_writes_the_post(exported, topic, tmp_path):
    out = tmp_path / "post.md"
    call_command("export_digest", topic.slug, exported[1][0].published_on.isoformat(), "--output", str(out))
    assert out.read_text(encoding="utf-8") == exported[0]


def post_tagged(tag, arxiv_id="2409.99999"):
    return f"""---
title: {tag}
tags:
    - {tag}
---

## Talking heads from one photo
**Authors:Ada Lovelace, Alan Turing**

We present HeadX, a renderer that animates one photo from audio. It is 18% better than the baselines.

[PDF](https://arxiv.org/abs/{arxiv_id}v1)

**Summary**
HeadX animates a single portrait photo from speech audio.

**Key Takeaways**
- HeadX needs one photo.
- It is 18% better than the baselines.
"""


@pytest.mark.parametrize("existing, matched", [
    ({"name": "元宇宙/虚拟人", "slug": "metaverse"}, "same name"),
    ({"name": "Metaverse humans", "slug": "元宇宙虚拟人"}, "same slug"),
    ({"name": "元宇宙/虚拟人 · Virtual humans", "slug": "virtual-humans"}, "same name before ' · '"),
])
def test_an_import_goes_into_the_topic_that_has_its_name_or_slug(db, existing, matched):
    topic = Topic.objects.create(query="all:x", **existing)
    result = posts.import_post(post_tagged("元宇宙/虚拟人"))
    assert (result.topic, result.matched, result.created) == (topic, matched, 1)
    assert Topic.objects.count() == 1


def test_a_new_topics_published_papers_are_on_its_page_and_the_home_page(db, django_user_model, client):
    result = posts.import_post(post_tagged("元宇宙/虚拟人"))
    assert result.matched == "new topic" and not result.topic.active, "an imported topic fetches nothing"
    paper = publish(Paper.objects.get(arxiv_id="2409.99999"), django_user_model.objects.create_superuser("p"))
    topic_url = reverse("papers:topic", args=[result.topic.slug])
    day_url = reverse("papers:day", args=[result.topic.slug, paper.published_on])
    assert f'href="{day_url}"' in client.get(topic_url).content.decode()
    home = client.get("/").content.decode()
    assert f'href="{topic_url}"' in home and "Talking heads from one photo" in home
    assert result.topic.name in client.get("/search/?q=HeadX").content.decode(), "the search filter offers it"


def test_the_summary_of_an_entry_without_a_comment_stays_the_summary(db):
    result = posts.import_post(post_tagged("Talking heads"))
    paper = result.topic.papers.get()
    assert paper.comment == ""
    assert paper.sections.get(kind="summary", is_current=True).body == \
        "HeadX animates a single portrait photo from speech audio."
    assert paper.sections.get(kind="key_takeaways", is_current=True).body == \
        "- HeadX needs one photo.\n- It is 18% better than the baselines."


def test_a_heading_with_its_text_on_the_same_line_is_read(db):
    post = post_tagged("Talking heads").replace("**Summary**\nHeadX", "**Summary**：HeadX").replace(
        "**Key Takeaways**\n", "**Key Takeaways**：\n\n")
    paper = posts.import_post(post).topic.papers.get()
    assert paper.sections.get(kind="summary", is_current=True).body.startswith("HeadX animates")
    assert paper.sections.get(kind="key_takeaways", is_current=True).body.startswith("- HeadX needs one photo.")


@pytest.mark.corpus
def test_no_paper_of_the_real_posts_loses_its_summary_or_takeaways(imported):
    papers = Paper.objects.all()
    assert papers.count() == sum(PAPERS_PER_POST)
    for paper in papers:
        summary = paper.sections.get(kind="summary", is_current=True).body.strip()
        takeaways = paper.sections.get(kind="key_takeaways", is_current=True).body.strip()
        assert summary and not summary.startswith(("**", "- ", "1.")), (paper.arxiv_id, summary[:80])
        assert takeaways, paper.arxiv_id
    assert papers.filter(comment="").count() == 44, "the entries whose [PDF] line has nothing after it"
