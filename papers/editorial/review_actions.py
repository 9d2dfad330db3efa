"""The review page's buttons: one small handler per action, each reading a Django form.

The page is one form, so every button sends everything typed on it; handle() checks the permission an
action needs, saves that text (save_typed) and then runs the handler, which calls papers.review (sections,
figures) or papers.lifecycle (the paper's status) and returns what it did, for the editor's message.
"""

from django import forms
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from .. import licences, lifecycle
from ..models import Figure, Paper, Section
from . import figure_regions, review, roles

PUBLISH_PERM = roles.PUBLISH_PERM


class TypedForm(forms.Form):
    """What the page holds: every current section's text (body_<id>) with the version it was made from
    (version_<id>), and, where the page shows figures, which are ticked and their positions."""

    def __init__(self, paper, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.sections = list(review.current_sections(paper))
        for section in self.sections:
            self.fields[f"body_{section.pk}"] = forms.CharField(required=False, strip=False)
            self.fields[f"version_{section.pk}"] = forms.IntegerField(required=False)

    def typed(self):
        """(section, text, version) for each section whose box was on the page."""
        for section in self.sections:
            if f"body_{section.pk}" in self.data:
                version = self.cleaned_data[f"version_{section.pk}"]
                if version is None:
                    raise review.ReviewError("The form lacks a section's version; reload the page.")
                yield section, self.cleaned_data[f"body_{section.pk}"], version


class RejectForm(forms.Form):
    reason = forms.CharField(required=False)


class ScheduleForm(forms.Form):
    publish_at = forms.DateTimeField(input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
                                     error_messages={"required": "Give the publication time as a date and time.",
                                                     "invalid": "Give the publication time as a date and time."})


class FiguresForm(forms.Form):
    """Which of this version's figures to show, in which order (a field order_<id> each), and any region an
    editor drew again (region_<id>, with region_sha_<id>, the picture it was drawn on)."""

    kept = forms.ModelMultipleChoiceField(queryset=Figure.objects.none(), required=False)

    def __init__(self, paper, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.figures = list(Figure.objects.editable(paper))
        # A page opened before another editor redrew a figure still ticks the old one (accepted, and ignored by
        # set_figures) and may hold a region drawn on it (which set_region refuses, saying so).
        version = Figure.objects.filter(paper=paper, paper_version=paper.version)
        self.fields["kept"].queryset = version
        for figure in self.figures:
            # Below set_figures' parking places (position + 10000).
            self.fields[f"order_{figure.pk}"] = forms.IntegerField(min_value=1, max_value=9999, required=False)
        self.drawable = list(version)
        for figure in self.drawable:
            self.fields[f"region_{figure.pk}"] = forms.CharField(required=False)
            self.fields[f"region_sha_{figure.pk}"] = forms.CharField(required=False)

    def order(self):
        return {f.pk: self.cleaned_data[f"order_{f.pk}"] for f in self.figures
                if self.cleaned_data.get(f"order_{f.pk}") is not None}

    def regions(self):
        """(figure, region, the picture it was drawn on) for each region that differs from the figure's."""
        for figure in self.drawable:
            text = self.cleaned_data.get(f"region_{figure.pk}", "").strip()
            region = figure_regions.parse(text) if text else None
            if region and region != figure.bbox:
                yield figure, region, self.cleaned_data[f"region_sha_{figure.pk}"]


class OverrideForm(forms.Form):
    override_reason = forms.CharField(required=False)


def valid(form):
    if not form.is_valid():
        raise review.ReviewError(" ".join(e for errors in form.errors.values() for e in errors))
    return form.cleaned_data


def save_typed(request, paper):
    """Save what is typed in every box, and the ticked figures, before any button does its work: no button
    loses them, and Approve approves the text in the box. A stale box raises Conflict with both texts."""
    saved = []
    typed = TypedForm(paper, request.POST)
    valid(typed)
    for section, text, version in typed.typed():
        edited = review.edit_section(section.pk, text, version, request.user)
        if edited.version != version:
            saved.append(edited.get_kind_display())
    if "figures_shown" in request.POST:
        form = FiguresForm(paper, request.POST)
        kept = {f.pk for f in valid(form)["kept"]}
        order = form.order()
        if any((f.pk in kept) != f.kept or order.get(f.pk, f.order) != f.order for f in form.figures):
            review.set_figures(paper, kept, order, request.user)
            saved.append("figures")
        for figure, region, drawn_on in list(form.regions()):
            if figure_regions.set_region(figure.pk, region, drawn_on, request.user):
                saved.append(f"{figure.label or 'figure'} region")
    return saved


def target_section(paper, target):
    section = Section.objects.filter(paper=paper, pk=target if target.isdigit() else None, is_current=True).first()
    if section is None:
        raise review.ReviewError("That section was replaced by a newer draft; reload the page.")
    return section


def save(request, paper, target):
    return ""


def save_approve(request, paper, target):
    section = review.approve_section(target_section(paper, target).pk, request.user)
    return f"{section.get_kind_display()} approved"


def approve_all(request, paper, target=""):
    return f"{review.approve_all(paper, request.user)} section(s) approved"


def regenerate(request, paper, target=""):
    kind = target_section(paper, target).kind if target else None
    review.request_regeneration(paper, request.user, kind)
    return "regeneration queued; a new draft will appear beside the current text"


def approve_publish(request, paper, target=""):
    approved = review.approve_all(paper, request.user)
    lifecycle.publish(paper, request.user)
    return f"{approved} section(s) approved and published" if approved else "published"


def reject(request, paper, target=""):
    lifecycle.reject(paper, valid(RejectForm(request.POST))["reason"], request.user)
    return "rejected"


def publish(request, paper, target=""):
    lifecycle.publish(paper, request.user)
    return "published"


def unpublish(request, paper, target=""):
    lifecycle.unpublish(paper, request.user)
    return "taken off the public site"


def schedule(request, paper, target=""):
    when = valid(ScheduleForm(request.POST))["publish_at"]
    lifecycle.schedule(paper, when, request.user)
    return f"publication scheduled for {timezone.localtime(when):%Y-%m-%d %H:%M}"


def figures(request, paper, target=""):
    return "readers get the figures when the paper is published again" if paper.published_at else ""


def figure_licence(request, paper, target=""):
    lifecycle.override_figure_licence(paper, valid(OverrideForm(request.POST))["override_reason"], request.user)
    return "figure licence override saved"


def check_licence(request, paper, target=""):
    licence = review.check_licence_again(paper, request.user)
    return f"licence {licences.short_name(licence)}"


def new_version(request, paper, target=""):
    lifecycle.take_new_version(paper, request.user)
    return "the new version is queued; readers keep the published text meanwhile"


# action -> (handler, needs the publish permission). Section buttons send "<action>:<section id>".
ACTIONS = {
    "save": (save, False),
    "save_approve": (save_approve, False),
    "approve_all": (approve_all, False),
    "approve_all_next": (approve_all, False),
    "regenerate": (regenerate, False),
    "reject": (reject, False),
    "check_licence": (check_licence, False),
    "new_version": (new_version, False),
    "figures": (figures, False),
    "publish": (publish, True),
    "approve_publish": (approve_publish, True),
    "approve_publish_next": (approve_publish, True),
    "unpublish": (unpublish, True),
    "schedule": (schedule, True),
    "figure_licence": (figure_licence, True),
}
NEXT_PAPER = {"approve_all_next", "approve_publish_next"}


def parse(request):
    """(action, section id or "") from the pressed button."""
    action, _, target = request.POST.get("action", "").partition(":")
    if action not in ACTIONS:
        raise review.ReviewError(f"Unknown action {action!r}.")
    return action, target


def handle(request, paper, action, target):
    """Save what the page holds, then run the action the button named (parse()); returns the message for
    the editor, which names the paper."""
    handler, needs_publish = ACTIONS[action]
    if needs_publish and not request.user.has_perm(PUBLISH_PERM):
        raise PermissionDenied
    # Saved first and on its own: a refused action (publishing too early, say) keeps the text.
    saved = save_typed(request, paper)
    done = handler(request, Paper.objects.get(pk=paper.pk), target)
    parts = ([f"{', '.join(saved)} saved"] if saved else []) + ([done] if done else [])
    return f"{paper.arxiv_id}: {'; '.join(parts) or 'nothing changed'}."
