"""A minimal admin for the demo: the papers, their sections, figures and history."""

from django.conf import settings
from django.contrib import admin
from django.db import models
from django.db.models import Q
from django.utils.html import format_html

from . import pipeline, review
from .models import FetchRun, Figure, Paper, PaperEvent, Section, Topic

FLAG_CODES = ["no_text", "garbled_text", "empty", "too_long", "long_paragraph", "repetition"]


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "language", "cadence", "papers_per_run", "active"]
    list_filter = ["active", "language"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name", "query"]


@admin.register(FetchRun)
class FetchRunAdmin(admin.ModelAdmin):
    list_display = ["topic", "started_at", "status", "found", "created", "updated", "error"]
    list_filter = ["status", "topic"]
    list_select_related = ["topic"]
    readonly_fields = [f.name for f in FetchRun._meta.fields]


class FlagFilter(admin.SimpleListFilter):
    title = "quality flag"
    parameter_name = "flag"

    def lookups(self, request, model_admin):
        return [("any", "Any flag")] + [(code, code.replace("_", " ")) for code in FLAG_CODES]

    def queryset(self, request, queryset):
        if self.value() == "any":
            return queryset.filter(flag_score__gt=0)
        if self.value() in FLAG_CODES:
            needle = f'"code": "{self.value()}"'
            return queryset.filter(Q(flags__icontains=needle) | Q(sections__flags__icontains=needle)).distinct()
        return queryset


class SectionInline(admin.StackedInline):
    model = Section
    extra = 0
    fields = ["kind", "status", "body", "generated", "flag_list", "sources"]
    readonly_fields = ["kind", "generated", "flag_list", "sources"]
    can_delete = False

    @admin.display(description="Flags")
    def flag_list(self, section):
        return "; ".join(f"{f['code']}: {f['message']}" for f in section.flags) or "—"


class FigureInline(admin.TabularInline):
    model = Figure
    extra = 0
    fields = ["preview", "label", "caption", "page", "kept"]
    readonly_fields = ["preview", "label", "caption", "page"]
    can_delete = False

    @admin.display(description="Figure")
    def preview(self, figure):
        return format_html('<img src="{}{}" style="max-width:240px">', settings.MEDIA_URL, figure.thumbnail)


class EventInline(admin.TabularInline):
    model = PaperEvent
    extra = 0
    fields = ["created_at", "step", "outcome", "message", "seconds"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Paper)
class PaperAdmin(admin.ModelAdmin):
    list_display = ["arxiv_id", "short_title", "state", "flag_score", "attempts", "failed_step", "fetched_at"]
    list_filter = ["state", "topics", FlagFilter, "language"]
    search_fields = ["arxiv_id", "title", "authors"]
    ordering = ["-flag_score", "review_at"]
    inlines = [SectionInline, FigureInline, EventInline]
    readonly_fields = ["arxiv_id", "version", "state", "failed_step", "error", "attempts", "flags",
                       "page_count", "language", "fetched_at", "downloaded_at", "extracted_at",
                       "summarized_at", "review_at", "published_at"]
    fieldsets = [
        (None, {"fields": ["arxiv_id", "version", "title", "authors", "abstract", "topics"]}),
        ("Links", {"fields": ["abs_url", "pdf_url", "project_url", "code_url", "doi", "journal_ref", "comment"]}),
        ("Pipeline", {"fields": ["state", "failed_step", "error", "attempts", "flags", "page_count",
                                 "language", "fetched_at", "downloaded_at", "extracted_at",
                                 "summarized_at", "review_at", "published_at"]}),
    ]
    actions = ["retry", "approve_and_publish"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    @admin.display(description="Title")
    def short_title(self, paper):
        return paper.title[:80]

    @admin.action(description="Retry failed papers at the step that failed")
    def retry(self, request, queryset):
        count = sum(pipeline.retry_failed(p) for p in queryset.filter(state=Paper.State.FAILED))
        self.message_user(request, f"{count} paper(s) queued again.")

    @admin.action(description="Approve all sections and publish")
    def approve_and_publish(self, request, queryset):
        count = sum(review.approve_and_publish(p, request.user) for p in queryset)
        self.message_user(request, f"{count} paper(s) published; papers not in review were left as they were.")
