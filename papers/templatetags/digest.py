from django import template

from ..editorial import flags
from ..public.rendering import render_markdown

register = template.Library()
register.filter("markdown", render_markdown)
register.filter("flag_label", flags.label)
