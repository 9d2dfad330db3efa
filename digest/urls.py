from django.contrib import admin
from django.urls import include, path, re_path

from papers.public import views

urlpatterns = [
    path("admin/", admin.site.urls),
    # Through Django, not the web server: only public figures reach readers (papers.public.views.media).
    re_path(r"^media/(?P<path>.+)$", views.media, name="media"),
    path("", include("subscribers.urls")),
    path("", include("papers.urls")),
]
