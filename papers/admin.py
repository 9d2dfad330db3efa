"""The editors' admin: the review queue, the review page, and the effort report.

Views and actions only check permissions, call the lifecycle and editorial functions and report back;
the rules live in papers/lifecycle.py (a paper's stage and status) and papers/editorial/review.py (sections,
figures); the review page's buttons are papers/editorial/review_actions.py.
"""

from collections import Counter

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Count, OuterRef, Q, Subquery, Sum
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from . import licences, lifecycle, queue_alerts
from .auth import ThrottledAdminAuthenticationForm
from .editorial import evidence, figure_regions, flags, review, review_actions, roles
from .editorial.diffing import diff_html, highlight_flags
from .ingest import pdf
from .models import FetchRun, Figure, Generation, Paper, PaperEvent, Section, SectionRevision, Topic
from .public.rendering import render_markdown

admin.site.login_form = ThrottledAdminAuthenticationForm

PUBLISH_PERM, REVIEW_PERM = roles.PUBLISH_PERM, roles.REVIEW_PERM


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
        return [("any", "Any flag"), ("none", "No flag")] + flags.choices()

    def queryset(self, request, queryset):
        if self.value() == "any":
            return queryset.filter(flag_score__gt=0)
        if self.value() == "none":
            return queryset.filter(flag_score=0)
        if self.value() in flags.REGISTRY:
            needle = f'"code": "{self.value()}"'
            current = Section.objects.filter(paper=OuterRef("pk"), is_current=True, flags__icontains=needle)
            return queryset.filter(Q(flags__icontains=needle) | Q(models.Exists(current)))
        return queryset


class ReviewFilter(admin.SimpleListFilter):
    """The queue opens on what needs review (PaperAdmin.changelist_view); "All papers" shows the rest too."""

    title = "review"
    parameter_name = "review"

    def lookups(self, request, model_admin):
        return [("queue", "Needs review"), ("ready", "Approved, ready to publish"), ("all", "All papers")]

    def choices(self, changelist):
        for lookup, title in self.lookup_choices:
            yield {"selected": self.value() == lookup, "display": title,
                   "query_string": changelist.get_query_string({self.parameter_name: lookup})}

    def queryset(self, request, queryset):
        if self.value() == "queue":
            return queryset & Paper.objects.review_queue()
        if self.value() == "ready":
            return queryset & Paper.objects.ready_to_publish()
        return queryset


class WaitingFilter(admin.SimpleListFilter):
    title = "waiting"
    parameter_name = "waiting"

    def lookups(self, request, model_admin):
        return [("budget", "Over the daily token budget"), ("operator", "For the operator (see alerts)"),
                ("retry", "For a retry")]

    def queryset(self, request, queryset):
        waiting = queryset.filter(stage__in=Paper.WORK_STAGES, claimed_until__gt=timezone.now())
        if self.value() == "budget":
            return waiting.filter(error__startswith="Over budget")
        if self.value() == "operator":
            return waiting.filter(error__startswith="Waiting for the operator")
        if self.value() == "retry":
            return waiting.exclude(error="").exclude(error__startswith="Over budget").exclude(
                error__startswith="Waiting for the operator")
        return queryset


class BackendFilter(admin.SimpleListFilter):
    title = "summarizer backend"
    parameter_name = "backend"

    def lookups(self, request, model_admin):
        return [(b, b) for b in Generation.objects.order_by().values_list("backend", flat=True).distinct()]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(models.Exists(Generation.objects.filter(paper=OuterRef("pk"), backend=self.value())))
        return queryset


class LicenceFilter(admin.SimpleListFilter):
    title = "figure licence"
    parameter_name = "licence"

    def lookups(self, request, model_admin):
        return [("open", "allows figures"), ("closed", "does not allow figures"), ("unknown", "not known yet"),
                ("override", "overridden by an editor")]

    def queryset(self, request, queryset):
        open_licence = licences.open_q()
        if self.value() == "open":
            return queryset.filter(open_licence)
        if self.value() == "closed":
            return queryset.exclude(open_licence).filter(license_checked_at__isnull=False)
        if self.value() == "unknown":
            return queryset.filter(license="", license_checked_at__isnull=True)
        if self.value() == "override":
            return queryset.exclude(figures_override_reason="")
        return queryset


class SectionInline(admin.StackedInline):
    model = Section
    extra = 0
    fields = ["kind", "status", "is_current", "public", "generated", "body", "edit_distance"]
    readonly_fields = fields
    can_delete = False
    verbose_name_plural = "Sections (edit them on the review page)"

    def has_add_permission(self, request, obj=None):
        return False


class EventInline(admin.TabularInline):
    model = PaperEvent
    extra = 0
    fields = ["created_at", "user", "step", "outcome", "message", "seconds"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Paper)
class PaperAdmin(admin.ModelAdmin):
    list_display = ["arxiv_id", "review_link", "topic_names", "status", "approved", "held", "flag_score",
                    "flag_codes", "edited", "backend", "review_at"]
    list_filter = [ReviewFilter, "status", "stage", WaitingFilter, "topics", FlagFilter, BackendFilter, ("review_at", admin.DateFieldListFilter),
                   "language", LicenceFilter]
    search_fields = ["arxiv_id", "title", "authors"]
    ordering = ["-flag_score", "review_at", "pk"]
    inlines = [SectionInline, EventInline]
    readonly_fields = ["arxiv_id", "version", "stage", "status", "failed_step", "error", "attempts", "flags",
                       "page_count", "language", "fetched_at", "downloaded_at", "extracted_at",
                       "summarized_at", "review_at", "published_at", "publish_at", "rejection_reason",
                       "license", "license_checked_at", "figures_override_reason", "figures_override_by",
                       "figures_override_at"]
    fieldsets = [
        (None, {"fields": ["arxiv_id", "version", "title", "authors", "abstract", "topics"]}),
        ("Links", {"fields": ["abs_url", "pdf_url", "project_url", "code_url", "doi", "journal_ref", "comment"]}),
        ("Pipeline", {"fields": ["stage", "status", "failed_step", "error", "attempts", "flags", "page_count",
                                 "language", "fetched_at", "downloaded_at", "extracted_at",
                                 "summarized_at", "review_at", "published_at", "publish_at", "rejection_reason"]}),
        ("Licence (change the override on the review page)", {"fields": [
            "license", "license_checked_at", "figures_override_reason", "figures_override_by", "figures_override_at"]}),
    ]
    actions = ["approve_all", "publish", "unpublish", "regenerate", "retry", "take_new_version", "check_licences"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def get_queryset(self, request):
        current = Section.objects.filter(paper=OuterRef("pk"), is_current=True).order_by()
        return super().get_queryset(request).select_related("review_holder").prefetch_related(
            models.Prefetch("sections", queryset=Section.objects.filter(is_current=True).only("paper", "flags", "status"),
                            to_attr="current_sections"),
            models.Prefetch("topics", queryset=Topic.objects.only("name")),
        ).annotate(
            edited_chars=Subquery(current.values("paper").annotate(total=Sum("edit_distance")).values("total")),
            backend_name=Subquery(
                Generation.objects.filter(paper=OuterRef("pk")).order_by("-created_at").values("backend")[:1]
            ),
        )

    def has_add_permission(self, request):
        # Papers come from arXiv (a topic's fetch) or an imported post, never from a blank form.
        return False

    def save_model(self, request, obj, form, change):
        """An edit of the metadata goes through the lifecycle: a public paper keeps what readers
        see until a publisher publishes again."""
        values = {name: form.cleaned_data[name] for name in form.changed_data if name != "topics"}
        lifecycle.edit_metadata(obj, values, request.user)

    def save_related(self, request, form, formsets, change):
        # The topics are the paper's only many-to-many field: they change through the lifecycle, which keeps
        # the digests' day counts, not through form.save_m2m().
        if "topics" in form.changed_data:
            lifecycle.set_topics(form.instance, list(form.cleaned_data["topics"]), request.user)
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def has_delete_permission(self, request, obj=None):
        # Deleting would lose what editors wrote and leave the digests counting a paper that is gone: reject it.
        return False

    def has_publish_permission(self, request):
        return request.user.has_perm(PUBLISH_PERM)

    @admin.display(description="Title", ordering="title")
    def review_link(self, paper):
        return format_html('<a href="{}">{}</a>', reverse("admin:papers_paper_review", args=[paper.pk]),
                           paper.title[:90])

    @admin.display(description="Flags")
    def flag_codes(self, paper):
        codes = {f["code"] for f in paper.flags}
        codes.update(f["code"] for section in paper.current_sections for f in section.flags)
        return ", ".join(sorted(flags.label(code) for code in codes))

    @admin.display(description="Topic")
    def topic_names(self, paper):
        return ", ".join(topic.name for topic in paper.topics.all())

    @admin.display(description="Approved")
    def approved(self, paper):
        sections = paper.current_sections
        if not sections:
            return "—"
        return f"{sum(s.status == Section.Status.APPROVED for s in sections)}/{len(sections)}"

    @admin.display(description="Being reviewed")
    def held(self, paper):
        if paper.review_holder is None or paper.review_seen < lifecycle.review_hold_lapse():
            return "—"
        return f"by {paper.review_holder} since {timezone.localtime(paper.review_since):%H:%M}"

    @admin.display(description="Edited (chars)", ordering="edited_chars")
    def edited(self, paper):
        return paper.edited_chars or 0

    @admin.display(description="Backend", ordering="backend_name")
    def backend(self, paper):
        return paper.backend_name or "—"

    def changelist_view(self, request, extra_context=None):
        if request.method == "GET" and not request.GET:
            return redirect(f"{request.path}?review=queue")
        counts = Counter()
        for status, stage, n in Paper.objects.order_by().values_list("status", "stage").annotate(n=Count("pk")):
            counts["status", status] += n
            counts["stage", stage] += n
        axes = [[(f"{field}__exact={value}", label, counts[field, value]) for value, label in choices]
                for field, choices in (("status", Paper.Status.choices), ("stage", Paper.Stage.choices))]
        return super().changelist_view(request, {
            **(extra_context or {}), "axis_counts": axes, "alerts": queue_alerts.current(),
        })

    # --- bulk actions -------------------------------------------------------------

    @admin.action(description="Approve every section", permissions=["change"])
    def approve_all(self, request, queryset):
        sections = sum(review.approve_all(p, request.user) for p in queryset)
        self.message_user(request, f"{sections} section(s) approved in {queryset.count()} paper(s).")

    @admin.action(description="Publish (every section must be approved)", permissions=["publish"])
    def publish(self, request, queryset):
        self._each(request, queryset, lifecycle.publish, "published")

    @admin.action(description="Unpublish", permissions=["publish"])
    def unpublish(self, request, queryset):
        self._each(request, queryset, lifecycle.unpublish, "unpublished")

    @admin.action(description="Regenerate all sections (queued)", permissions=["change"])
    def regenerate(self, request, queryset):
        self._each(request, queryset, review.request_regeneration, "queued for regeneration")

    @admin.action(description="Retry failed papers at the step that failed", permissions=["change"])
    def retry(self, request, queryset):
        count = sum(lifecycle.retry(p, request.user) for p in queryset.filter(stage=Paper.Stage.FAILED))
        self.message_user(request, f"{count} paper(s) queued again.")

    @admin.action(description="Process the newer arXiv version", permissions=["change"])
    def take_new_version(self, request, queryset):
        self._each(request, queryset, lifecycle.take_new_version, "queued with their new version")

    @admin.action(description="Check the licence again (arXiv OAI-PMH)", permissions=["change"])
    def check_licences(self, request, queryset):
        self._each(request, queryset, review.check_licence_again, "checked")

    def _each(self, request, queryset, action, done):
        ok = 0
        for paper in queryset:
            try:
                action(paper, request.user)
                ok += 1
            except lifecycle.TransitionError as exc:
                self.message_user(request, f"{paper.arxiv_id}: {exc}", messages.WARNING)
        if ok:
            self.message_user(request, f"{ok} paper(s) {done}.")

    # --- the review page and the report ------------------------------------------

    def get_urls(self):
        return [
            path("<int:pk>/review/", self.admin_site.admin_view(self.review_view), name="papers_paper_review"),
            path("<int:pk>/pdf/", self.admin_site.admin_view(self.pdf_view), name="papers_paper_pdf"),
            path("<int:pk>/page/<int:number>.png", self.admin_site.admin_view(self.page_view),
                 name="papers_paper_page"),
            path("report/", self.admin_site.admin_view(self.report_view), name="papers_paper_report"),
        ] + super().get_urls()

    def review_view(self, request, pk):
        if not request.user.has_perm(REVIEW_PERM):
            raise PermissionDenied
        paper = get_object_or_404(Paper, pk=pk)
        conflict = None
        if request.method == "POST":
            try:
                action, target = review_actions.parse(request)
                messages.success(request, review_actions.handle(request, paper, action, target))
                if action in review_actions.NEXT_PAPER:
                    lifecycle.release_review(paper, request.user)
                    return self.next_in_queue(request, paper, publishing=action == "approve_publish_next")
                # Back where the editor was: the section's box, or the paper's buttons.
                kind = Section.objects.filter(pk=target).values_list("kind", flat=True).first() if target else None
                url = reverse("admin:papers_paper_review", args=[paper.pk])
                return redirect(f"{url}#{f'section-{kind}' if kind else 'paper-actions'}")
            except review.Conflict as exc:
                messages.error(request, f"{paper.arxiv_id}: {exc}")
                conflict = exc
            except lifecycle.TransitionError as exc:
                messages.error(request, f"{paper.arxiv_id}: {exc}")
            paper.refresh_from_db()
        return TemplateResponse(request, "admin/papers/paper/review.html",
                                self.review_context(request, paper, conflict))

    def pdf_view(self, request, pk):
        """The paper's PDF from our storage, for staff only: the evidence beside the text, offline too."""
        if not request.user.has_perm(REVIEW_PERM):
            raise PermissionDenied
        paper = get_object_or_404(Paper, pk=pk)
        path = paper.pdf_path()
        if path is None or not path.exists():
            raise Http404("This paper's PDF has not been downloaded.")
        return FileResponse(path.open("rb"), content_type="application/pdf", filename=f"{paper.versioned_id}.pdf")

    def page_view(self, request, pk, number):
        """One page of the PDF as a picture, on which an editor draws a figure's region."""
        if not request.user.has_perm(REVIEW_PERM):
            raise PermissionDenied
        paper = get_object_or_404(Paper, pk=pk)
        try:
            png = figure_regions.page_png(paper, number)
        except (review.ReviewError, pdf.PdfError) as exc:
            raise Http404(str(exc)) from exc
        return HttpResponse(png, content_type="image/png")

    def next_in_queue(self, request, paper, publishing=False):
        """The next paper to review; a publisher publishing goes on to what waits for them first."""
        ready = Paper.objects.ready_to_publish().exclude(pk=paper.pk).order_by("review_at", "pk")
        following = (publishing and ready.first()) or Paper.objects.review_queue().exclude(pk=paper.pk).first()
        if following:
            return redirect("admin:papers_paper_review", pk=following.pk)
        messages.info(request, "The review queue is empty.")
        return redirect("admin:papers_paper_changelist")

    def review_context(self, request, paper, conflict):
        # After a refused action the page shows what was typed, not what is stored.
        typed = request.POST if request.method == "POST" else {}
        holder = lifecycle.hold_for_review(paper, request.user)
        passages = evidence.passages_of(paper.abstract, paper.extraction)
        sections = []
        for section in review.current_sections(paper).select_related("generation", "reviewer"):
            submitted = typed.get(f"body_{section.pk}")
            sections.append({
                "section": section,
                "text": submitted if submitted is not None else section.body,
                "flagged_html": highlight_flags(section.body, section.flags),
                "diff_html": diff_html(section.generated, section.body),
                "preview_html": render_markdown(section.body),
                "conflict": conflict if conflict and conflict.section.pk == section.pk else None,
                "pdf_page": review.source_page(section.sources),
                "evidence": evidence.evidence(section.body, passages),
            })
        figures = list(Figure.objects.editable(paper).order_by("order"))
        sizes = figure_regions.page_sizes(paper) if figures else {}
        for figure in figures:
            # Where the region lies on the drawn page, in shares of it; none when the PDF is gone.
            figure.page_size = sizes.get(figure.page)
            if figure.page_size and len(figure.bbox) == 4:
                (x0, y0, x1, y1), (width, height) = figure.bbox, figure.page_size
                figure.box_style = (f"left:{100 * x0 / width:.2f}%;top:{100 * y0 / height:.2f}%;"
                                    f"width:{100 * (x1 - x0) / width:.2f}%;height:{100 * (y1 - y0) / height:.2f}%")
            figure.region_text = typed.get(f"region_{figure.pk}") or figure_regions.as_text(figure.bbox)
        revisions = SectionRevision.objects.filter(section__paper=paper).select_related("section", "user")
        history = [
            {"when": r.created_at, "who": r.user, "what": f"{r.section.get_kind_display()} {r.action}", "revision": r}
            for r in revisions.order_by("-created_at", "-pk")[:100]
        ] + [
            {"when": e.created_at, "who": e.user, "what": f"{e.step} {e.outcome}", "detail": e.message}
            for e in paper.events.select_related("user").order_by("-created_at", "-pk")[:100]
        ]
        return {
            **self.admin_site.each_context(request),
            "title": f"Review: {paper.title}",
            "opts": self.model._meta,
            "paper": paper,
            "sections": sections,
            "figures": figures,
            "waiting": [{"what": what, "diff_html": diff_html(public, waiting)}
                        for what, public, waiting in review.waiting_changes(paper)],
            "held_by": holder if holder != request.user else None,
            "history": sorted(history, key=lambda row: row["when"], reverse=True)[:100],
            "has_pdf": bool(paper.pdf_path() and paper.pdf_path().exists()),
            "can_publish": request.user.has_perm(PUBLISH_PERM),
            "licence_name": licences.short_name(paper.license),
            "all_approved": not lifecycle.unapproved(paper).exists(),
            "next_paper": Paper.objects.review_queue().exclude(pk=paper.pk).first(),
            "MEDIA_URL": settings.MEDIA_URL,
        }

    def report_view(self, request):
        if not request.user.has_perm("papers.view_paper"):
            raise PermissionDenied
        rows = review.effort_report()
        for row in rows:
            row["median_to_publish"] = review.human(row["median_to_publish"])
        return TemplateResponse(request, "admin/papers/paper/report.html", {
            **self.admin_site.each_context(request), "title": "Editorial effort and LLM usage",
            "opts": self.model._meta, "rows": rows, "usage": review.usage_report(),
        })


@admin.register(Figure)
class FigureAdmin(admin.ModelAdmin):
    list_display = ["paper", "label", "page", "kept", "public", "preview"]
    list_filter = ["kept", "public"]
    list_select_related = ["paper"]
    search_fields = ["paper__arxiv_id", "caption"]
    # Which figures readers see is chosen on the paper's review page and published by a publisher.
    readonly_fields = [f.name for f in Figure._meta.fields]

    @admin.display(description="Figure")
    def preview(self, figure):
        return format_html('<img src="{}{}" style="max-width:160px">', settings.MEDIA_URL, figure.thumbnail)
