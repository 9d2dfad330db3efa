"""No name, slug or id that can come in makes a page fail: what cannot be a URL is refused where it enters."""

from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils.text import slugify

from papers import lifecycle
from papers.editorial import posts
from papers.ingest import arxiv_source, fetching
from papers.models import FetchRun, Paper, Topic

from .factories import SAMPLES, make_reviewed_paper, paper_in_review, publish, user_in

NOT_ARXIV_IDS = ["2401.00001?x=1", "../../etc/passwd", "<script>alert(1", "9" * 300, "2401.1", ""]


def every_public_page(paper, topic):
    public = paper.publication
    return ["/", f"/t/{topic.slug}/", f"/t/{topic.slug}/{paper.published_on}/", paper.get_absolute_url(),
            f"/search/?q=avatar&topic={topic.slug}", "/feed/rss/", "/feed/atom/", f"/t/{topic.slug}/feed/atom/",
            f"/category/{public.categories[0]}/"] + [reverse("papers:author", args=[name]) for name in public.authors]


@pytest.mark.parametrize("name", ["LIGO/Virgo Collaboration", "A. B/C", "Nobody?", "50% Team #1", "..", "Zoë/"])
def test_an_author_name_with_a_slash_or_url_characters_breaks_no_page(topic, publisher, name):
    paper = publish(paper_in_review(topic, 1, authors=[name, "Ada Lovelace"]), publisher)
    reader = Client()
    for url in every_public_page(paper, topic):
        response = reader.get(url)
        assert response.status_code == 200, url
    author_page = reader.get(paper.get_absolute_url()).content.decode()
    link = next(part.split('"')[0] for part in author_page.split('href="') if part.startswith("/author/"))
    assert paper.publication.title in reader.get(link).content.decode(), "the author's link lists the paper"


def test_an_empty_author_name_from_a_post_is_left_out(db):
    post = """## Avatars\n**Authors:Ada Lovelace, , Alan Turing,**\n\nWe present X.\n\n[PDF](https://arxiv.org/abs/2409.99999v1)\n"""
    posts.import_post(post)
    assert Paper.objects.get().authors == ["Ada Lovelace", "Alan Turing"]


def test_a_topic_named_in_chinese_has_its_pages_feeds_and_search(db, fake_arxiv, publisher):
    topic = Topic.objects.create(name="元宇宙/虚拟人", slug=slugify("元宇宙/虚拟人", allow_unicode=True),
                                 query='all:"virtual human"', language="zh")
    assert topic.slug == "元宇宙虚拟人"
    paper = publish(make_reviewed_paper(topic, fake_arxiv, 1), publisher)
    reader = Client()
    for url in every_public_page(paper, topic):
        response = reader.get(url)
        assert response.status_code == 200, url
    day = reverse("papers:day", args=[topic.slug, paper.published_on])
    assert f'href="{day}"' in reader.get(f"/t/{topic.slug}/").content.decode()
    assert paper.publication.title in reader.get(day).content.decode()
    assert f'href="{reverse("papers:topic", args=[topic.slug])}"' in reader.get("/").content.decode()


@pytest.mark.parametrize("bad", NOT_ARXIV_IDS)
def test_a_paper_cannot_be_made_with_an_id_that_is_not_arxivs(topic, bad):
    with pytest.raises(ValidationError, match="not an arXiv id"):
        lifecycle.create(topic, arxiv_id=bad, title="x", abs_url="https://arxiv.org/abs/x", pdf_url="https://x")
    with pytest.raises(ValueError, match="not an arXiv abstract URL"):
        arxiv_source.split_id(f"http://arxiv.org/abs/{bad}v1")
    assert not Paper.objects.exists()


def test_old_and_new_style_ids_are_accepted(topic):
    for good in ["2409.02634", "0704.0001", "quant-ph/9508027", "math.GT/0309136", "hep-th/9901001"]:
        paper = lifecycle.create(topic, arxiv_id=good, title="x", abs_url="https://arxiv.org/abs/x",
                                 pdf_url="https://x")
        assert Client().get(paper.get_absolute_url()).status_code == 404  # a real URL, of a paper not public


def test_a_fetched_entry_without_an_arxiv_id_is_left_out_and_the_others_come_in(fake_arxiv, topic, caplog):
    feed = (SAMPLES / "arxiv" / "avatars.xml").read_text()
    fake_arxiv.reply(feed.replace("abs/2699.00001v1", "abs/2699.00001?x=1v1", 1).encode())
    run = fetching.fetch_topic(topic)
    assert (run.status, run.created) == (FetchRun.Status.OK, 5)
    assert "left out an arXiv entry" in caplog.text
    assert not Paper.objects.filter(arxiv_id__startswith="2699.00001").exists()


@pytest.fixture
def post(topic, django_user_model):
    """A post Paper Digest exported, about a paper this database has never seen."""
    paper = publish(paper_in_review(topic, 1), user_in(django_user_model, "pub", "Publisher"))
    return posts.export_day(topic, paper.published_on).replace("2700.00001", "2700.90001")


@pytest.mark.parametrize("bad", NOT_ARXIV_IDS[:4])
def test_an_imported_entry_with_a_bad_id_is_left_out_with_its_reason(tmp_path, post, bad):
    second = post[post.index("\n## "):].replace("2700.90001", "2700.90002")
    path = tmp_path / "post.md"
    path.write_text(post + second.replace("2700.90002", bad, 1).replace("2700.90002", bad))
    out, err = run_import(path)
    assert "1 papers imported" in out
    assert "left out" in err and "is not an arXiv id" in err
    assert list(Paper.objects.filter(arxiv_id__startswith="2700.9").values_list("arxiv_id", flat=True)) == \
        ["2700.90001"]
    assert Client().get("/").status_code == 200


def run_import(path):
    out, err = StringIO(), StringIO()
    call_command("import_posts", str(path), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.mark.parametrize("content, message", [
    (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "a binary file"),
    ("## Title\n[PDF](https://arxiv.org/abs/2401.00001) caf\xe9".encode("latin-1"), "not UTF-8 text"),
    (b"", "no paper entries"),
    (b"---\ntitle: A post\n---\n\nJust words, no papers.\n", "no paper entries"),
])
def test_a_file_that_is_not_a_post_is_refused_and_makes_no_topic(db, tmp_path, content, message):
    path = tmp_path / "bad.md"
    path.write_bytes(content)
    with pytest.raises(CommandError, match=message):
        call_command("import_posts", str(path))
    assert not Topic.objects.exists() and not Paper.objects.exists()


def test_an_entry_whose_pdf_line_has_no_comment_keeps_its_summary(tmp_path, post):
    without_comment = "\n".join(line.split(")")[0] + ")" if line.startswith("[PDF](") else line
                                for line in post.splitlines())
    assert "[PDF](https://arxiv.org/abs/2700.90001v1)\n" in without_comment
    path = tmp_path / "post.md"
    path.write_text(without_comment)
    run_import(path)
    paper = Paper.objects.get(arxiv_id="2700.90001")
    summary = paper.sections.get(kind="summary", is_current=True).body
    takeaways = paper.sections.get(kind="key_takeaways", is_current=True).body
    assert paper.comment == ""
    assert summary and not summary.startswith("**") and not summary.lstrip().startswith("-")
    assert takeaways.strip(), "the takeaways stay takeaways"


def test_export_into_a_missing_folder_or_of_an_empty_day_says_so(topic, post, tmp_path):
    day = Paper.objects.published().get().published_on
    with pytest.raises(CommandError, match="cannot write .*No such file or directory"):
        call_command("export_digest", topic.slug, day.isoformat(), "--output", str(tmp_path / "nope" / "post.md"))
    with pytest.raises(CommandError, match="nothing of 'Virtual humans' was published on 1999-01-01"):
        call_command("export_digest", topic.slug, "1999-01-01")


def topic_form(**changes):
    return {"name": "Virtual humans", "slug": "virtual-humans-2", "query": 'abs:"talking head"',
            "categories": "cs.CV cs.GR", "papers_per_run": 10, "language": "en", "cadence": "D", "active": "on",
            **changes}


@pytest.mark.parametrize("changes, error", [
    ({"categories": "cs.CV) OR (all:*"}, "not arXiv categories: cs.CV) OR (all:*"),
    ({"categories": "cs.CV cat:x"}, "not arXiv categories: cat:x"),
    ({"query": 'abs:"talking head") OR (all:*'}, "the query&#x27;s parentheses do not balance"),
    ({"query": "(ti:avatar"}, "the query&#x27;s parentheses do not balance"),
    ({"query": 'ti:"(" ) OR all:foo OR ( ti:")"'}, "the query&#x27;s parentheses do not balance"),
    ({"query": 'ti:"avatar'}, "the query has a quote that does not close"),
])
def test_a_topic_whose_query_could_escape_its_categories_is_refused(django_user_model, changes, error):
    admin = Client()
    admin.force_login(user_in(django_user_model, "root", superuser=True))
    page = admin.post("/admin/papers/topic/add/", topic_form(**changes)).content.decode()
    assert error in page
    assert not Topic.objects.exists()


def test_a_topic_with_real_categories_and_a_grouped_query_is_saved(django_user_model):
    admin = Client()
    admin.force_login(user_in(django_user_model, "root", superuser=True))
    response = admin.post("/admin/papers/topic/add/", topic_form(
        query='(abs:"talking head (THG)" OR ti:avatar) ANDNOT ti:survey',
        categories="cs.CV astro-ph.CO quant-ph cond-mat.mes-hall physics.atom-ph math-ph q-bio.NC"))
    assert response.status_code == 302
    assert Topic.objects.get().arxiv_query() == (
        '((abs:"talking head (THG)" OR ti:avatar) ANDNOT ti:survey) AND (cat:cs.CV OR cat:astro-ph.CO OR '
        'cat:quant-ph OR cat:cond-mat.mes-hall OR cat:physics.atom-ph OR cat:math-ph OR cat:q-bio.NC)')
