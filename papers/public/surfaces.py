"""Everything readers see of a paper outside its own rows: the day counts of its topics, cached pages and
feeds, the search index and related-paper lists. papers.lifecycle calls count_days() inside a transaction
that changes what is public and refresh() once it commits: it refreshes the pages that show the paper, and
leaves the others cached."""

from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, Q

from ..models import Paper, Topic, TopicDay
from . import caching, search


def related_key(paper_id):
    return f"related:{paper_id}"


def count_days(topic_ids, days):
    """Count again, from published(), the papers of each topic on each day.

    Every topic row is locked first, always in the same order, so transactions that count take turns (the
    later counts what the earlier committed) and two that count several times (a fetch adding its topic to many
    papers) cannot each hold a topic the other waits for."""
    days = {day for day in days if day}
    locked = _lock_topics()
    topic_ids = [pk for pk in topic_ids if pk in locked]
    if not days or not topic_ids:
        return
    counted = {(topic, day): n for topic, day, n in
               _counted(Paper.objects.published().filter(topics__in=topic_ids, published_on__in=days))}
    for topic in topic_ids:
        for day in days:
            if counted.get((topic, day)):
                TopicDay.objects.update_or_create(topic_id=topic, day=day, defaults={"papers": counted[topic, day]})
            else:
                TopicDay.objects.filter(topic_id=topic, day=day).delete()


def _counted(papers):
    """(topic, day, how many) of `papers`."""
    return papers.order_by().values_list("topics", "published_on").annotate(n=Count("pk"))


def _lock_topics():
    """Every topic's row, locked until the transaction ends (no-op on SQLite, whose writers take turns)."""
    return set(Topic.objects.select_for_update().order_by("pk").values_list("pk", flat=True))


def count_all_days():
    """Every topic's day counts again from published() (after a bulk load or a restore), while publications
    wait, and every cached page refreshed; returns how many days."""
    with transaction.atomic():
        _lock_topics()
        counted = _counted(Paper.objects.published().filter(topics__isnull=False, published_on__isnull=False))
        TopicDay.objects.all().delete()
        days = TopicDay.objects.bulk_create(
            [TopicDay(topic_id=topic, day=day, papers=n) for topic, day, n in counted], batch_size=1000)
        transaction.on_commit(caching.everything_changed)
    return len(days)


def refresh(paper_id, topic_ids=(), retitled=False):
    """What readers may see of this paper changed (published, unpublished, rejected, topics, figures, licence):
    its search row, and the cached pages that show it (those of its topics, and of `topic_ids`, which it left;
    every paper's page where it was withdrawn or `retitled`, as any may list it among its related papers)."""
    paper = Paper.objects.get(pk=paper_id)
    tags = {"home", "search", "listings", "feed", "sitemap", f"paper:{paper.arxiv_id}"}
    if retitled or not Paper.objects.published().filter(pk=paper_id).exists():
        tags.add("related")
    for topic in Topic.objects.filter(Q(papers=paper_id) | Q(pk__in=topic_ids)).distinct():
        tags.add(f"topic:{topic.slug}")
        if paper.published_on:
            # Its day, and the days before and after it, whose links lead to it (a day can appear or go).
            tags.update(caching.day_tag(topic.slug, day) for day in
                        [paper.published_on, *topic.days.around(paper.published_on)] if day)
    # The pages first: whatever fails after, none still shows a withdrawn paper (search filters by published()).
    caching.changed(tags)
    cache.delete(related_key(paper_id))
    search.index_paper(paper)


def topic_changed(sender, **kwargs):
    """A topic added, renamed, re-slugged or deleted (a signal: the admin saves topics itself). Its name is on
    pages of every kind (the home page, papers' breadcrumbs, the search form) and pages under an old slug must
    go: every page is refreshed, which a change this rare can afford."""
    transaction.on_commit(caching.everything_changed)
