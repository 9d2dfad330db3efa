"""Everything readers see of a paper outside the database's rows: cached pages and feeds,
the search index and related-paper lists. refresh() brings them all up to date."""

from django.core.cache import cache

from ..models import Paper
from . import caching, search


def related_key(paper_id):
    return f"related:{paper_id}"


def refresh(paper_id):
    """What readers may see of this paper changed (published, unpublished, rejected, figures, licence)."""
    search.index_paper(Paper.objects.get(pk=paper_id))
    cache.delete(related_key(paper_id))
    caching.public_changed()
