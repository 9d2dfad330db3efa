"""What the LLM backends share: one call per paper, retries, rate limit, budget, repair, flags.

A backend implements `call(system, message) -> Reply` and turns its SDK's errors into
Transient (worth retrying soon) or SummarizerError (operator=True for a bad key, a retired
model or a zero quota: one clear error for the operator, not a failure per paper).
"""

import datetime
import json
import logging
import re
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import timezone
from pydantic import ValidationError

from ..editorial.flags import flag
from ..ingest import pacing
from ..models import Generation
from .base import SECTION_KINDS, PaperText, SectionText, Summarizer, SummarizerError, SummaryResult
from .prompt import PROMPT_VERSION, Digest, build_prompt, system_instruction, to_sections

log = logging.getLogger(__name__)
BACKOFF_SECONDS = (2, 6, 15)
REPAIR = ("\n\nYour previous answer was not a valid JSON object matching the schema. "
          "Answer again with the JSON object only.")


class Transient(Exception):
    def __init__(self, message, retry_after=None):
        super().__init__(message)
        self.retry_after = retry_after


@dataclass
class Reply:
    text: str | None
    finish: str = "stop"  # stop, max_tokens, blocked
    block_reason: str = ""
    usage: dict = field(default_factory=dict)
    model_version: str = ""
    parsed: Digest | None = None


def parse_digest(reply):
    if reply.parsed is not None:
        return reply.parsed
    text = (reply.text or "").strip()
    text = re.sub(r"^```(?:json)?\s*|\s*```$", "", text)
    try:
        return Digest.model_validate(json.loads(text))
    except (ValueError, ValidationError):
        return None


def add_usage(total, usage):
    for key, value in usage.items():
        total[key] = total.get(key, 0) + (value or 0)
    return total


def retry_delay(text):
    """Seconds the service asks us to wait: RetryInfo's "1.5s", or "retry in 1.5s" in the message."""
    match = re.search(r"retryDelay['\"]?\s*[:=]\s*['\"]?(\d+(?:\.\d+)?)s", text) or re.search(
        r"retry in (\d+(?:\.\d+)?)\s*s", text, re.I)
    return float(match.group(1)) if match else None


class LLMSummarizer(Summarizer):
    prompt_version = PROMPT_VERSION

    def call(self, system, message):
        raise NotImplementedError

    def summarize(self, paper: PaperText, language: str) -> SummaryResult:
        self.check_budget()
        message, sources = build_prompt(paper, language, settings.LLM_INPUT_TOKEN_BUDGET)
        system = system_instruction(language)
        usage = {}
        reply = self.call_with_retries(system, message)
        add_usage(usage, reply.usage)
        if reply.finish == "blocked":
            return self.result([], usage, reply, language,
                               [flag("blocked", f"The model refused to summarize this paper ({reply.block_reason}).")])
        digest = parse_digest(reply)
        if digest is None and reply.finish == "max_tokens":
            return self.result([], usage, reply, language,
                               [flag("truncated", "The model's answer was cut off at its output limit.")])
        if digest is None:
            log.info("%s: invalid JSON, asking once more", self.name)
            reply = self.call_with_retries(system, message + REPAIR)
            add_usage(usage, reply.usage)
            digest = parse_digest(reply)
        if digest is None:
            return self.result([], usage, reply, language,
                               [flag("invalid_output", "The model's answer was not valid JSON, twice.")])
        sections, flags = to_sections(digest, paper, language, sources, own_urls=paper.own_urls)
        if digest.translated_abstract.strip():
            sections.append(SectionText("translated_abstract", digest.translated_abstract.strip(), ["abstract"]))
        return self.result(sections, usage, reply, language, flags)

    def result(self, sections, usage, reply, language, flags):
        if not sections:
            sections = [SectionText(kind, "", []) for kind in SECTION_KINDS]
        return SummaryResult(
            sections=sections, backend=self.name, model=self.model, model_version=reply.model_version,
            prompt_version=self.prompt_version, usage=usage, language=language, flags=flags,
        )

    def call_with_retries(self, system, message):
        attempts = len(BACKOFF_SECONDS) + 1
        for attempt in range(attempts):
            # One pacing point for every worker: at most LLM_REQUESTS_PER_MINUTE together.
            pacing.wait_turn(f"llm-{self.name}", 60 / settings.LLM_REQUESTS_PER_MINUTE)
            try:
                return self.call(system, message)
            except Transient as exc:
                if attempt == attempts - 1:
                    raise SummarizerError(f"{self.name}: {exc} (after {attempts} attempts)", retryable=True) from exc
                wait = exc.retry_after if exc.retry_after is not None else BACKOFF_SECONDS[attempt]
                if wait > settings.LLM_MAX_WAIT_SECONDS:
                    raise SummarizerError(f"{self.name}: {exc}", retryable=True) from exc
                log.info("%s: %s; retrying in %.1fs", self.name, exc, wait)
                time.sleep(wait)
        raise AssertionError("unreachable")

    def check_budget(self):
        """Past the daily token budget, papers wait for tomorrow instead of failing."""
        budget = settings.LLM_DAILY_TOKEN_BUDGET
        if not budget:
            return
        today = timezone.localdate()
        rows = Generation.objects.filter(backend=self.name, created_at__date=today).values_list("usage", flat=True)
        used = sum(sum(u.get(k, 0) for k in ("input", "output", "thinking")) for u in rows)
        if used >= budget:
            tomorrow = timezone.make_aware(datetime.datetime.combine(today + datetime.timedelta(days=1),
                                                                     datetime.time.min))
            raise SummarizerError(
                f"Over budget: {used:,} of {budget:,} tokens used today by {self.name}; waits until "
                f"{timezone.localtime(tomorrow):%Y-%m-%d %H:%M}.", retryable=True, retry_at=tomorrow)
