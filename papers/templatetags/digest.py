from django import template

from .. import flags
from ..rendering import render_markdown

register = template.Library()
register.filter("markdown", render_markdown)
register.filter("flag_label", flags.label)
