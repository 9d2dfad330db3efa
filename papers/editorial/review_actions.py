"""The review page's buttons: one small handler per action, each reading a Django form.

A handler calls papers.review (sections, figures) or papers.lifecycle (the paper's status) and
returns the message for the editor; handle() checks the permission an action needs first.
"""

from django import forms
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from .. import licences, lifecycle
from ..models import Figure, Section
from . import review

PUBLISH_PERM = "papers.publish_paper"


class SectionForm(forms.Form):
    """A section of this paper, with the version the editor's text was made from."""

    section = forms.ModelChoiceField(queryset=Section.objects.none())
    version = forms.IntegerField(required=False)
    body = forms.CharField(required=False, strip=False)

    def __init__(self, paper, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["section"].queryset = Section.objects.filter(paper=paper)


class RejectForm(forms.Form):
    reason = forms.CharField(required=False)


class ScheduleForm(forms.Form):
    publish_at = forms.DateTimeField(input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
                                     error_messages={"required": "Give the publication time as a date and time.",
                                                     "invalid": "Give the publication time as a date and time."})


class FiguresForm(forms.Form):
    """Which of this version's figures to show, and in which order (a field order_<id> each)."""

    kept = forms.ModelMultipleChoiceField(queryset=Figure.objects.none(), required=False)

    def __init__(self, paper, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.figures = list(paper.figures.filter(paper_version=paper.version))
        self.fields["kept"].queryset = paper.figures.filter(paper_version=paper.version)
        for figure in self.figures:
            self.fields[f"order_{figure.pk}"] = forms.IntegerField(min_value=1, required=False)

    def order(self):
        return {f.pk: self.cleaned_data[f"order_{f.pk}"] for f in self.figures
                if self.cleaned_data.get(f"order_{f.pk}") is not None}


class OverrideForm(forms.Form):
    override_reason = forms.CharField(required=False)


def valid(form):
    if not form.is_valid():
        raise review.ReviewError(" ".join(e for errors in form.errors.values() for e in errors))
    return form.cleaned_data


def save(request, paper, approve=False):
    data = valid(SectionForm(paper, request.POST))
    if data["version"] is None:
        raise review.ReviewError("The form lacks the section's version; reload the page.")
    section = review.edit_section(data["section"].pk, data["body"], data["version"], request.user)
    if approve:
        review.approve_section(section.pk, request.user, version=section.version)
    return f"{paper.arxiv_id}: {section.get_kind_display()} saved" + (" and approved." if approve else ".")


def save_approve(request, paper):
    return save(request, paper, approve=True)


def approve(request, paper):
    data = valid(SectionForm(paper, request.POST))
    section = review.approve_section(data["section"].pk, request.user, version=data["version"])
    return f"{paper.arxiv_id}: {section.get_kind_display()} approved."


def approve_all(request, paper):
    return f"{paper.arxiv_id}: {review.approve_all(paper, request.user)} section(s) approved."


def regenerate(request, paper):
    kind = None
    if request.POST.get("section"):
        # Text typed in the box is saved first: the regeneration must not lose it.
        data = valid(SectionForm(paper, request.POST))
        kind = review.edit_section(data["section"].pk, data["body"], data["version"], request.user).kind
    review.request_regeneration(paper, request.user, kind)
    return f"{paper.arxiv_id}: regeneration queued; a new draft will appear beside the current text."


def reject(request, paper):
    lifecycle.reject(paper, valid(RejectForm(request.POST))["reason"], request.user)
    return f"{paper.arxiv_id}: rejected."


def publish(request, paper):
    lifecycle.publish(paper, request.user)
    return f"{paper.arxiv_id}: published."


def unpublish(request, paper):
    lifecycle.unpublish(paper, request.user)
    return f"{paper.arxiv_id}: taken off the public site."


def schedule(request, paper):
    when = valid(ScheduleForm(request.POST))["publish_at"]
    lifecycle.schedule(paper, when, request.user)
    return f"{paper.arxiv_id}: publication scheduled for {timezone.localtime(when):%Y-%m-%d %H:%M}."


def figures(request, paper):
    form = FiguresForm(paper, request.POST)
    data = valid(form)
    review.set_figures(paper, {f.pk for f in data["kept"]}, form.order(), request.user)
    return f"{paper.arxiv_id}: figures saved; readers get them when the paper is published again."


def figure_licence(request, paper):
    lifecycle.override_figure_licence(paper, valid(OverrideForm(request.POST))["override_reason"], request.user)
    return f"{paper.arxiv_id}: figure licence override saved."


def check_licence(request, paper):
    licence = review.check_licence_again(paper, request.user)
    return f"{paper.arxiv_id}: licence {licences.short_name(licence)}."


def new_version(request, paper):
    lifecycle.take_new_version(paper, request.user)
    return f"{paper.arxiv_id}: the new version is queued; readers keep the published text meanwhile."


# action -> (handler, needs the publish permission)
ACTIONS = {
    "save": (save, False),
    "save_approve": (save_approve, False),
    "approve": (approve, False),
    "approve_all": (approve_all, False),
    "approve_all_next": (approve_all, False),
    "regenerate": (regenerate, False),
    "reject": (reject, False),
    "check_licence": (check_licence, False),
    "new_version": (new_version, False),
    "figures": (figures, False),
    "publish": (publish, True),
    "unpublish": (unpublish, True),
    "schedule": (schedule, True),
    "figure_licence": (figure_licence, True),
}


def handle(request, paper):
    """Run the action the button named; returns the message for the editor."""
    action = request.POST.get("action", "")
    if action not in ACTIONS:
        raise review.ReviewError(f"Unknown action {action!r}.")
    handler, needs_publish = ACTIONS[action]
    if needs_publish and not request.user.has_perm(PUBLISH_PERM):
        raise PermissionDenied
    section = request.POST.get("section")
    if section and not Section.objects.filter(pk=section if section.isdigit() else None, paper=paper).exists():
        raise PermissionDenied  # another paper's section, through this paper's page
    return handler(request, paper)
