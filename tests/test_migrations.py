"""Upgrading a site keeps every paper where it was: the split of `state` into stage and status, and
the publication snapshot of what readers see."""

from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("papers", "0009_postgres_search_table")]
AFTER = [("papers", "0011_stage_and_status")]

# old state, published_at set, failed_step -> stage, status, a publication
CASES = [
    ("fetched", False, "", "fetched", "unpublished", False),
    ("downloaded", False, "", "downloaded", "unpublished", False),
    ("extracted", False, "", "extracted", "unpublished", False),
    ("summarized", False, "", "summarized", "unpublished", False),
    ("in_review", False, "", "drafted", "unpublished", False),
    ("published", True, "", "drafted", "published", True),
    ("in_review", True, "", "drafted", "changed", True),  # a published paper edited since
    ("fetched", True, "", "fetched", "changed", True),  # a published paper processing its new version
    ("failed", False, "extract", "failed", "unpublished", False),
    ("failed", True, "summarize", "failed", "changed", True),
    ("rejected", False, "", "drafted", "rejected", False),
    ("rejected", False, "download", "failed", "rejected", False),
]


def test_every_old_state_lands_on_its_stage_and_status_and_public_papers_keep_what_they_showed(transactional_db):
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    Paper, Figure = old.get_model("papers", "Paper"), old.get_model("papers", "Figure")
    for n, (state, public, failed_step, *_) in enumerate(CASES):
        paper = Paper.objects.create(
            arxiv_id=f"2401.{n:05d}", version=2, title=f"Paper {n}", authors=["Ada Lovelace"],
            abs_url=f"https://arxiv.org/abs/2401.{n:05d}", pdf_url=f"https://arxiv.org/pdf/2401.{n:05d}",
            state=state, failed_step=failed_step, published_at="2024-01-02T00:00:00Z" if public else None)
        for version, kept in ((1, True), (2, True), (2, False)):
            Figure.objects.create(paper=paper, paper_version=version, order=version * 10 + kept, page=1, image="x.webp",
                                  thumbnail="x.thumb.webp", width=1, height=1, sha256="0", kept=kept)
    try:
        executor = MigrationExecutor(connection)
        executor.migrate(AFTER)
        new = executor.loader.project_state(AFTER).apps
        Paper, Figure = new.get_model("papers", "Paper"), new.get_model("papers", "Figure")
        Publication = new.get_model("papers", "Publication")
        for n, (state, public, _, stage, status, has_publication) in enumerate(CASES):
            paper = Paper.objects.get(arxiv_id=f"2401.{n:05d}")
            assert (paper.stage, paper.status) == (stage, status), state
            publication = Publication.objects.filter(paper=paper).first()
            assert bool(publication) is has_publication, state
            if publication:
                assert (publication.title, publication.version, publication.authors) == (f"Paper {n}", 2, ["Ada Lovelace"])
            shown = list(Figure.objects.filter(paper=paper, public=True).values_list("paper_version", "kept"))
            assert shown == ([(2, True)] if has_publication else []), state
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
