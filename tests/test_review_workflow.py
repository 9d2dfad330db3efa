"""The editorial rules: nothing typed is lost, no silent overwrite, publish only what was approved."""

from datetime import timedelta

import pytest
from django.test import TestCase
from django.utils import timezone

from papers import lifecycle, pipeline
from papers.editorial import drafts, review
from papers.models import Generation, Paper, Section

from .factories import SCANNED, make_reviewed_paper

Stage, Status = Paper.Stage, Paper.Status


def section(paper, kind="method"):
    return Section.objects.get(paper=paper, kind=kind, is_current=True)


def publish_all(paper, user):
    review.approve_all(paper, user)
    with TestCase.captureOnCommitCallbacks(execute=True):  # reindexing and cache invalidation run on commit
        lifecycle.publish(paper, user)
    paper.refresh_from_db()


def test_an_edit_is_kept_with_who_when_before_and_after(reviewed_paper, editor):
    method = section(reviewed_paper)
    edited = review.edit_section(method.pk, method.body + "\n\nAn editor's note.", method.version, editor)
    assert edited.version == method.version + 1
    assert edited.generated == method.generated, "the generated text never changes"
    assert edited.edit_distance == len("\n\nAn editor's note.")
    (revision,) = edited.revisions.all()
    assert (revision.user, revision.action, revision.before, revision.after) == (
        editor, "edited", method.body, edited.body)


def test_the_second_of_two_editors_saving_one_section_gets_a_conflict_with_both_texts(reviewed_paper, editor,
                                                                                       publisher):
    method = section(reviewed_paper)
    review.edit_section(method.pk, "First editor's text.", method.version, editor)
    with pytest.raises(review.Conflict) as caught:
        review.edit_section(method.pk, "Second editor's text.", method.version, publisher)
    assert caught.value.section.body == "First editor's text."
    assert caught.value.submitted == "Second editor's text."
    assert section(reviewed_paper).body == "First editor's text."


def test_editing_an_approved_section_sends_it_back_to_review(reviewed_paper, editor):
    method = review.approve_section(section(reviewed_paper).pk, editor)
    assert method.status == Section.Status.APPROVED
    edited = review.edit_section(method.pk, "Changed after approval.", method.version, editor)
    assert edited.status == Section.Status.DRAFT
    assert list(edited.revisions.values_list("action", flat=True)) == ["approved", "edited", "withdrawn"]


def test_publish_needs_every_section_approved(reviewed_paper, publisher):
    review.approve_section(section(reviewed_paper, "summary").pk, publisher)
    with pytest.raises(lifecycle.TransitionError, match="Key takeaways, Method, Conclusion not approved"):
        lifecycle.publish(reviewed_paper, publisher)
    assert not Paper.objects.published().exists()


def test_publishing_copies_the_approved_text_for_readers(reviewed_paper, publisher, client):
    method = section(reviewed_paper)
    review.edit_section(method.pk, "The **fixed** method.", method.version, publisher)
    publish_all(reviewed_paper, publisher)
    assert reviewed_paper.status == Status.PUBLISHED and reviewed_paper.published_at
    assert "The <strong>fixed</strong> method." in client.get(reviewed_paper.get_absolute_url()).content.decode()


def test_editing_a_published_paper_keeps_the_published_text_until_it_is_published_again(
    reviewed_paper, publisher, client
):
    publish_all(reviewed_paper, publisher)
    method = section(reviewed_paper)
    review.edit_section(method.pk, "A later correction.", method.version, publisher)
    reviewed_paper.refresh_from_db()
    assert reviewed_paper.status == Status.CHANGED
    page = client.get(reviewed_paper.get_absolute_url()).content.decode()
    assert "A later correction." not in page and "Extractive" in page
    publish_all(reviewed_paper, publisher)
    assert "A later correction." in client.get(reviewed_paper.get_absolute_url()).content.decode()


def test_unpublish_and_reject(reviewed_paper, publisher, client):
    publish_all(reviewed_paper, publisher)
    first_published = reviewed_paper.published_at
    with TestCase.captureOnCommitCallbacks(execute=True):
        lifecycle.unpublish(reviewed_paper, publisher)
    assert client.get(reviewed_paper.get_absolute_url()).status_code == 404
    reviewed_paper.refresh_from_db()
    assert reviewed_paper.status == Status.UNPUBLISHED and first_published
    with pytest.raises(lifecycle.TransitionError, match="Say why"):
        lifecycle.reject(reviewed_paper, "  ", publisher)
    lifecycle.reject(reviewed_paper, "Out of scope for this topic", publisher)
    reviewed_paper.refresh_from_db()
    assert (reviewed_paper.status, reviewed_paper.rejection_reason) == (Status.REJECTED, "Out of scope for this topic")
    assert reviewed_paper.events.filter(step="reject", user=publisher).exists()


def test_scheduled_publication_happens_when_due(reviewed_paper, publisher):
    with pytest.raises(lifecycle.TransitionError, match="approve every section first"):
        lifecycle.schedule(reviewed_paper, timezone.now() + timedelta(hours=1), publisher)
    review.approve_all(reviewed_paper, publisher)
    when = timezone.now() + timedelta(hours=1)
    lifecycle.schedule(reviewed_paper, when, publisher)
    assert lifecycle.publish_due() == 0
    assert lifecycle.publish_due(now=when + timedelta(seconds=1)) == 1
    reviewed_paper.refresh_from_db()
    assert reviewed_paper.status == Status.PUBLISHED and reviewed_paper.publish_at is None


def test_a_scheduled_paper_edited_meanwhile_is_not_published(reviewed_paper, publisher):
    review.approve_all(reviewed_paper, publisher)
    when = timezone.now() + timedelta(hours=1)
    lifecycle.schedule(reviewed_paper, when, publisher)
    method = section(reviewed_paper)
    review.edit_section(method.pk, "Unreviewed change.", method.version, publisher)
    assert lifecycle.publish_due(now=when + timedelta(seconds=1)) == 0
    assert reviewed_paper.events.filter(step="publish", outcome="failed", message__contains="Method not approved").exists()


def test_regeneration_writes_a_new_draft_and_keeps_the_edited_text(reviewed_paper, editor, settings):
    settings.SUMMARIZER = "tests.summarizers.CountingSummarizer"
    method = section(reviewed_paper)
    review.edit_section(method.pk, "Editor's careful text.", method.version, editor)
    review.approve_section(method.pk, editor)
    assert drafts.regenerate(reviewed_paper.pk, "method", editor.pk)
    old = Section.objects.get(pk=method.pk)
    assert (old.body, old.status, old.is_current) == ("Editor's careful text.", Section.Status.APPROVED, False)
    new = section(reviewed_paper)
    assert new.pk != old.pk and new.status == Section.Status.DRAFT and new.generation.round == 1
    assert new.generation.requested_by == editor
    assert old.revisions.filter(action="replaced", before="Editor's careful text.").exists()
    assert Section.objects.filter(paper=reviewed_paper, is_current=True).count() == 4


def test_a_failed_regeneration_loses_nothing_and_says_why(reviewed_paper, editor, settings):
    settings.SUMMARIZER = "tests.summarizers.RefusingSummarizer"
    before = list(Section.objects.filter(paper=reviewed_paper).values_list("pk", "body"))
    assert drafts.regenerate(reviewed_paper.pk, None, editor.pk) is None
    assert list(Section.objects.filter(paper=reviewed_paper).values_list("pk", "body")) == before
    assert reviewed_paper.events.filter(step="regenerate", outcome="failed", message__contains="SAFETY").exists()
    assert Generation.objects.filter(paper=reviewed_paper).count() == 1


def test_a_new_arxiv_version_of_a_published_paper_keeps_the_published_text_until_approved(
    reviewed_paper, publisher, client, fake_arxiv, django_capture_on_commit_callbacks
):
    publish_all(reviewed_paper, publisher)
    published_method = section(reviewed_paper).published_body
    record = {
        "arxiv_id": reviewed_paper.arxiv_id, "version": 2, "title": "Head avatars, revised", "authors": ["Ada Lovelace"],
        "abstract": "A revised abstract about head avatars. It is better now.", "comment": "", "journal_ref": "",
        "doi": "", "primary_category": "cs.CV", "categories": ["cs.CV"],
        "arxiv_published": "2024-01-01T00:00:00+00:00", "arxiv_updated": "2024-02-01T00:00:00+00:00",
        "abs_url": "https://arxiv.org/abs/2401.00001v2", "pdf_url": fake_arxiv.url + "/pdf/2401.00001v1",
        "project_url": "", "code_url": "", "affiliations": {},
    }
    Paper.objects.filter(pk=reviewed_paper.pk).update(new_version=record)
    reviewed_paper.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.take_new_version(reviewed_paper, publisher)
    assert pipeline.process_paper(reviewed_paper.pk) == Stage.DRAFTED
    reviewed_paper.refresh_from_db()
    assert reviewed_paper.version == 2 and reviewed_paper.new_version == {}
    new_method = section(reviewed_paper)
    assert new_method.generation.paper_version == 2 and new_method.status == Section.Status.DRAFT
    page = client.get(reviewed_paper.get_absolute_url()).content.decode()
    assert reviewed_paper in Paper.objects.published()
    assert published_method.splitlines()[0][3:40] in page, "readers keep the approved v1 text"
    publish_all(reviewed_paper, publisher)
    assert Section.objects.filter(paper=reviewed_paper, public=True, generation__paper_version=2).count() == 4


def test_figures_can_be_hidden_and_reordered(reviewed_paper, editor):
    first, second = reviewed_paper.figures.order_by("order")
    assert (first.kept, second.kept) == (True, False), "the lead figure is kept when the paper is read"
    review.set_figures(reviewed_paper, {second.pk}, {first.pk: 2, second.pk: 1}, editor)
    assert list(reviewed_paper.figures.order_by("order").values_list("pk", "kept")) == [
        (second.pk, True), (first.pk, False)]


def test_the_queue_puts_the_worst_flags_first_then_the_oldest(topic, fake_arxiv):
    clean = make_reviewed_paper(topic, fake_arxiv, 1)
    scanned = make_reviewed_paper(topic, fake_arxiv, 2, pdf=SCANNED)
    older_clean = make_reviewed_paper(topic, fake_arxiv, 3)
    Paper.objects.filter(pk=older_clean.pk).update(review_at=clean.review_at - timedelta(days=1))
    assert list(Paper.objects.review_queue()) == [scanned, older_clean, clean]


def test_a_regeneration_that_comes_back_the_same_says_so_and_adds_no_draft(reviewed_paper, editor):
    method = section(reviewed_paper)
    assert drafts.regenerate(reviewed_paper.pk, "method", editor.pk)  # the extractive summarizer is deterministic
    assert section(reviewed_paper).pk == method.pk
    event = reviewed_paper.events.get(step="regenerate")
    assert (event.outcome, event.message) == ("skipped", "round 1: method came back the same; kept")
    assert not method.revisions.filter(action="replaced").exists()


def test_a_regeneration_in_another_language_does_not_replace_the_topics(reviewed_paper, topic, editor):
    topic.language = "zh"
    topic.save()
    method = section(reviewed_paper)
    chinese = "1. 模型由运动编码器和记忆库组成，记忆库保存最近五百帧的运动编码，每个去噪步骤都通过交叉注意力读取记忆库中的信息。" * 2
    review.edit_section(method.pk, chinese, method.version, editor)
    drafts.regenerate(reviewed_paper.pk, None, editor.pk)
    assert section(reviewed_paper).body == chinese, "English sentences did not replace the Chinese method"
    message = reviewed_paper.events.get(step="regenerate").message
    assert "method came back in another language than the topic's (zh); kept" in message
