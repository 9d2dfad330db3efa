"""Many published papers at once, for benchmarks and scale tests (not for the real pipeline).

Papers, generations, sections and the search index are written with bulk inserts,
so 10,000 papers take seconds. Titles and summaries mix English and Chinese words
from a fixed vocabulary, deterministic for a given seed.
"""

import random
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from ..models import Generation, Paper, Publication, Section, Topic
from ..public import search, surfaces
from ..summarizers.base import SECTION_KINDS

WORDS = ("audio driven talking head avatar gaussian splatting diffusion portrait motion memory relighting "
         "gesture speech lip synchronisation benchmark identity expression neural rendering video "
         "monocular reconstruction texture prior latent transformer").split()
ZH_WORDS = "音频驱动 数字人 虚拟人 说话人脸 高斯泼溅 扩散模型 头像重建 表情 动作 渲染".split()
SURNAMES = "Wang Li Zhang Liu Chen Smith Müller García Tanaka Kim Nguyen Rossi Dubois Silva".split()


def seed_papers(count, topic=None, seed=0, per_day=20, start=None):
    rng = random.Random(seed)
    topic = topic or Topic.objects.get_or_create(slug="seeded", defaults={
        "name": "Seeded topic", "query": "all:avatar", "categories": "cs.CV"})[0]
    start = start or timezone.now() - timedelta(days=count // per_day + 1)
    first = Paper.objects.count()
    papers = []
    for i in range(count):
        n = first + i
        title_words = rng.sample(WORDS, 6) + ([rng.choice(ZH_WORDS)] if n % 3 == 0 else [])
        authors = [f"{rng.choice('ABCDEFGHJKLMNPRSTW')}. {rng.choice(SURNAMES)}" for _ in range(rng.randint(1, 6))]
        published_at = start + timedelta(days=i // per_day, minutes=i % per_day)
        arxiv_id = f"{2601 + n // 100000}.{n % 100000:05d}"  # a real id's shape up to many months of papers
        papers.append(Paper(
            arxiv_id=arxiv_id, version=1, title=" ".join(title_words).capitalize(), authors=authors,
            authors_index="\n" + "\n".join(authors) + "\n",
            abstract=" ".join(rng.choice(WORDS) for _ in range(60)) + ".",
            categories=rng.sample(["cs.CV", "cs.GR", "cs.LG", "cs.MM"], 2), primary_category="cs.CV",
            abs_url=f"https://arxiv.org/abs/{arxiv_id}v1", pdf_url=f"https://arxiv.org/pdf/{arxiv_id}v1",
            stage=Paper.Stage.DRAFTED, status=Paper.Status.PUBLISHED, language="en", published_at=published_at,
            published_on=timezone.localdate(published_at), review_at=published_at,
        ))
    with transaction.atomic():
        Paper.objects.bulk_create(papers, batch_size=500)
        papers = list(Paper.objects.filter(arxiv_id__in=[p.arxiv_id for p in papers]))
        Publication.objects.bulk_create([Publication(paper=p, **Publication.snapshot(p)) for p in papers],
                                        batch_size=500)
        Paper.topics.through.objects.bulk_create(
            [Paper.topics.through(paper_id=p.pk, topic_id=topic.pk) for p in papers], batch_size=1000)
        Generation.objects.bulk_create([
            Generation(paper=p, paper_version=1, backend="extractive", model="textrank", prompt_version="seed",
                       language="en", sections={}) for p in papers], batch_size=500)
        generations = dict(Generation.objects.filter(paper__in=papers).values_list("paper_id", "pk"))
        sections = []
        for p in papers:
            for order, kind in enumerate(SECTION_KINDS):
                text = " ".join(rng.choice(WORDS) for _ in range(25)).capitalize() + "."
                if kind == "key_takeaways":
                    text = "\n".join(f"- {rng.choice(WORDS)} {rng.choice(WORDS)} {rng.choice(ZH_WORDS)}" for _ in range(5))
                sections.append(Section(
                    paper_id=p.pk, generation_id=generations[p.pk], kind=kind, order=order, generated=text,
                    body=text, published_body=text, public=True, status=Section.Status.APPROVED,
                    reviewed_at=p.published_at,
                ))
        Section.objects.bulk_create(sections, batch_size=1000)
    for paper in Paper.objects.published().filter(pk__in=[p.pk for p in papers]):
        search.index_paper(paper)
    search.optimize()  # as the daily schedule leaves it
    surfaces.count_all_days()
    return papers
