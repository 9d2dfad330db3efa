"""Papers, users and a small public site made from what the project itself has: the real pipeline
on the sample PDFs in samples/ (samples/build.py writes them), no ../shared needed."""

import shutil

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.test import Client, TestCase

from papers import lifecycle, pipeline
from papers.editorial import review
from papers.ingest import arxiv_source
from papers.models import Paper

SAMPLES = settings.BASE_DIR / "samples"
# A scan with no text layer, for make_reviewed_paper(pdf=SCANNED).
SCANNED = "scanned"
# Text that only unpublished things carry: no public page or feed may show it.
SECRET_MARKERS = ["DRAFT-ONLY-TITLE", "REJECTED-ONLY-TITLE", "UNAPPROVED-EDIT-TEXT"]
SAMPLE_RECORDS = arxiv_source.records_from_feed_file(SAMPLES / "arxiv" / "avatars.xml")
CC_BY = "http://creativecommons.org/licenses/by/4.0/"


def sample_pdf(n):
    """One of the six sample PDFs (3 pages, two captioned figures each)."""
    return SAMPLES / "pdfs" / f"{SAMPLE_RECORDS[(n - 1) % len(SAMPLE_RECORDS)].arxiv_id}v1.pdf"


def place_pdf(arxiv_id, version, n):
    """Put a sample PDF where the download step looks first, so the pipeline stays offline."""
    target = settings.MEDIA_ROOT / pipeline.pdf_relpath(arxiv_id, version)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(sample_pdf(n), target)


def paper_in_review(topic, n=1, **fields):
    """The n-th sample paper, taken by the real pipeline to review (drafts, flags, figures)."""
    record = SAMPLE_RECORDS[(n - 1) % len(SAMPLE_RECORDS)]
    arxiv_id = f"2700.{n:05d}"
    place_pdf(arxiv_id, 1, n)
    values = {**record.fields(), "version": 1, "license": CC_BY,
              "abs_url": f"https://arxiv.org/abs/{arxiv_id}v1", "pdf_url": f"https://arxiv.org/pdf/{arxiv_id}v1",
              **fields}
    paper = lifecycle.create(topic, arxiv_id=arxiv_id, **values)
    assert pipeline.process_paper(paper.pk) == Paper.Stage.DRAFTED
    return Paper.objects.get(pk=paper.pk)


def make_reviewed_paper(topic, fake_arxiv, n=1, pdf="text", license=CC_BY):
    """Paper n, fetched from the local fake arXiv and taken by the real pipeline to review."""
    arxiv_id = f"2401.{n:05d}"
    path = f"/pdf/{arxiv_id}v1"
    fake_arxiv.pdfs[path] = (SAMPLES / "scanned.pdf" if pdf == SCANNED else sample_pdf(n)).read_bytes()
    paper = Paper.objects.create(
        arxiv_id=arxiv_id, title=f"Head avatars {n}", authors=["Ada Lovelace", "Alan Turing"],
        abstract="We reconstruct head avatars from monocular video with a visual prior. It improves fidelity.",
        abs_url=f"https://arxiv.org/abs/{arxiv_id}v1", pdf_url=fake_arxiv.url + path,
        categories=["cs.CV", "cs.GR"], primary_category="cs.CV", license=license,
    )
    paper.topics.add(topic)
    assert pipeline.process_paper(paper.pk) == Paper.Stage.DRAFTED
    return Paper.objects.get(pk=paper.pk)


def publish(paper, user):
    """Approve every section and publish, running what publishing does on commit."""
    review.approve_all(paper, user)
    with TestCase.captureOnCommitCallbacks(execute=True):
        lifecycle.publish(paper, user)
    return Paper.objects.get(pk=paper.pk)


def published_paper(topic, user, n=1, **fields):
    return publish(paper_in_review(topic, n, **fields), user)


def user_in(django_user_model, name, group=None, staff=True, superuser=False):
    user = django_user_model.objects.create_user(name, f"{name}@example.org", "pw", is_staff=staff,
                                                 is_superuser=superuser)
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


def public_urls(paper, topic):
    """Every public page and feed a reader could reach this paper by."""
    public = paper.publication
    return [
        "/", f"/t/{topic.slug}/", f"/t/{topic.slug}/{paper.published_on}/", paper.get_absolute_url(),
        f"/category/{public.categories[0]}/", f"/author/{public.authors[0]}/",
        "/feed/rss/", "/feed/atom/", f"/t/{topic.slug}/feed/rss/", f"/t/{topic.slug}/feed/atom/",
    ]


def site_urls(site):
    """The public pages and feeds of the `site` fixture, searches for its secrets included."""
    avatar, topic = site["avatar"], site["topic"]
    return [
        "/", f"/t/{topic.slug}/", f"/t/{topic.slug}/{avatar.published_on}/", avatar.get_absolute_url(),
        site["belle"].get_absolute_url(), "/category/cs.CV/", f"/author/{avatar.authors[0]}/",
        "/search/?q=avatar", "/search/?q=GaussHead", "/search/?q=DRAFT", "/search/?q=REJECTED",
        "/feed/rss/", "/feed/atom/", f"/t/{topic.slug}/feed/rss/", f"/t/{topic.slug}/feed/atom/",
    ]


def what_readers_get(paper, topic, searches=()):
    """The text of every public surface as an anonymous reader gets it from a cold cache."""
    cache.clear()
    reader = Client()
    pages = {}
    for url in public_urls(Paper.objects.published().get(pk=paper.pk), topic) + [
            f"/search/?q={q}" for q in searches]:
        response = reader.get(url)
        assert response.status_code == 200, url
        pages[url] = response.content.decode()
    return pages
