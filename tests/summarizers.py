"""Summarizer backends for tests, loaded by dotted path like any third-party backend."""

import os
import time
from pathlib import Path

from papers.summarizers import SummarizerError
from papers.summarizers.extractive import ExtractiveSummarizer


class CountingSummarizer(ExtractiveSummarizer):
    """The extractive backend, counting its calls (the stand-in for a paid API)."""

    name = "counting"
    calls = []

    def summarize(self, paper, language):
        CountingSummarizer.calls.append(paper.title)
        return super().summarize(paper, language)


class FailingSummarizer(ExtractiveSummarizer):
    name = "failing"
    retryable = True
    message = "the service answered 503"

    def summarize(self, paper, language):
        raise SummarizerError(self.message, retryable=self.retryable)


class RefusingSummarizer(FailingSummarizer):
    name = "refusing"
    retryable = False
    message = "the model refused: blocked for SAFETY"


class SlowSummarizer(ExtractiveSummarizer):
    """Marks each start in a file and takes a while, so a test can kill a worker mid-paper."""

    name = "slow"

    def summarize(self, paper, language):
        with Path(os.environ["SLOW_SUMMARIZER_LOG"]).open("a") as log:
            log.write(f"start {paper.title}\n")
        time.sleep(float(os.environ.get("SLOW_SUMMARIZER_SECONDS", "3")))
        return super().summarize(paper, language)
