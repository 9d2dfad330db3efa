"""Summarizer backends behind one small interface (see base.py).

SUMMARIZER names a backend here, or is a dotted path to a class that
implements the same interface.
"""

from django.conf import settings
from django.utils.module_loading import import_string

from .base import PaperText, Summarizer, SummarizerError, SummaryResult, SectionText  # noqa: F401

BACKENDS = {
    "extractive": "papers.summarizers.extractive.ExtractiveSummarizer",
    "gemini": "papers.summarizers.gemini.GeminiSummarizer",
    "openai": "papers.summarizers.openai_compat.OpenAISummarizer",
}


def get_summarizer(name=None):
    name = name or settings.SUMMARIZER
    return import_string(BACKENDS.get(name, name))()
