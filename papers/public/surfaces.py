"""Everything readers see of a paper outside its own rows: the day counts of its topics, cached pages and
feeds, the search index and related-paper lists. papers.lifecycle calls count_days() inside a transaction
that changes what is public and refresh() once it commits: it refreshes the pages that show the paper, and
leaves the others cached."""

from django.core.cache import cache
from django.db.models import Count, Q

from ..models import Paper, Topic, TopicDay
from . import caching, search


def related_key(paper_id):
    return f"related:{paper_id}"


def count_days(topic_ids, days):
    """Count again, from published(), the papers of each topic on each day.

    The topics' rows are locked first, so two transactions counting the same topic take turns and the later
    one counts what the earlier committed."""
    days = {day for day in days if day}
    topic_ids = list(Topic.objects.select_for_update().filter(pk__in=topic_ids).order_by("pk")
                     .values_list("pk", flat=True))
    if not days or not topic_ids:
        return
    counted = {(topic, day): n for topic, day, n in Paper.objects.published().filter(
        topics__in=topic_ids, published_on__in=days).order_by()
        .values_list("topics", "published_on").annotate(n=Count("pk"))}
    for topic in topic_ids:
        for day in days:
            if counted.get((topic, day)):
                TopicDay.objects.update_or_create(topic_id=topic, day=day, defaults={"papers": counted[topic, day]})
            else:
                TopicDay.objects.filter(topic_id=topic, day=day).delete()


def count_all_days():
    """Every topic's day counts again from published() (after a bulk load or a restore); returns how many days."""
    counted = (Paper.objects.published().filter(topics__isnull=False, published_on__isnull=False).order_by()
               .values_list("topics", "published_on").annotate(n=Count("pk")))
    TopicDay.objects.all().delete()
    return len(TopicDay.objects.bulk_create(
        [TopicDay(topic_id=topic, day=day, papers=n) for topic, day, n in counted], batch_size=1000))


def refresh(paper_id, topic_ids=()):
    """What readers may see of this paper changed (published, unpublished, rejected, topics, figures, licence):
    its search row, and the cached pages that show it (those of its topics, and of `topic_ids`, which it left)."""
    paper = Paper.objects.get(pk=paper_id)
    search.index_paper(paper)
    cache.delete(related_key(paper_id))
    tags = {"home", "search", "listings", "feed", "sitemap", f"paper:{paper.arxiv_id}"}
    if not Paper.objects.published().filter(pk=paper_id).exists():
        tags.add("related")  # other papers' pages may list it among their related papers
    for topic in Topic.objects.filter(Q(papers=paper_id) | Q(pk__in=topic_ids)).distinct():
        tags.add(f"topic:{topic.slug}")
        if paper.published_on:
            # Its day, and the days before and after it, whose links lead to it (a day can appear or go).
            days = topic.days.all()
            neighbours = [days.filter(day__lt=paper.published_on).first(),
                          days.filter(day__gt=paper.published_on).order_by("day").first()]
            tags.update(caching.day_tag(topic.slug, d) for d in
                        [paper.published_on, *(n.day for n in neighbours if n)])
    caching.changed(tags)
