from django import template

from ..editorial import flags
from ..public.rendering import render_markdown, render_text

register = template.Library()
register.filter("markdown", render_markdown)
register.filter("flag_label", flags.label)
register.filter("math", render_text)


@register.filter
def reading(sections):
    """The sections read in order; the translated abstract goes with the abstract."""
    return [s for s in sections if s.kind != "translated_abstract"]


@register.filter
def translation(sections):
    return next((s for s in sections if s.kind == "translated_abstract"), None)


@register.filter
def kinds(sections):
    """The kinds of a paper's sections, to place what goes between them."""
    return {section.kind for section in sections}
