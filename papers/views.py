"""The public site. Until the public-site issue lands: a list and a paper page.

Every query starts from Paper.objects.published(); nothing else is public.
"""

from django.conf import settings
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, render

from .models import Figure, Paper, Section


def public_papers():
    return Paper.objects.published().prefetch_related(
        Prefetch("sections", queryset=Section.objects.filter(public=True).order_by("order"),
                 to_attr="public_sections"),
        Prefetch("figures", queryset=Figure.objects.filter(kept=True).order_by("order"),
                 to_attr="public_figures"),
    )


def home(request):
    papers = public_papers().order_by("-published_at")[:50]
    return render(request, "papers/home.html", {"papers": papers})


def paper_detail(request, arxiv_id):
    paper = get_object_or_404(public_papers(), arxiv_id=arxiv_id)
    sections = paper.public_sections
    figures = [f for f in paper.public_figures if f.paper_version == paper.version]
    return render(request, "papers/paper.html", {
        "paper": paper, "sections": sections, "figures": figures, "MEDIA_URL": settings.MEDIA_URL,
    })


def source(request):
    return render(request, "papers/source.html")
