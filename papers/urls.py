from django.urls import path, re_path

from . import views

app_name = "papers"

urlpatterns = [
    path("", views.home, name="home"),
    path("source/", views.source, name="source"),
    # New-style ids (2409.02634) and old-style ones with a slash (quant-ph/9508027).
    re_path(r"^paper/(?P<arxiv_id>[\w.\-]+(?:/\d+)?)/$", views.paper_detail, name="paper"),
]
