"""Any OpenAI-compatible endpoint (Ollama, vLLM, llama.cpp server, hosted APIs), through the openai SDK."""

import json

import openai
from django.conf import settings

from .base import SummarizerError
from .llm import LLMSummarizer, Reply, Transient
from .prompt import Digest


class OpenAISummarizer(LLMSummarizer):
    name = "openai"

    def __init__(self):
        self.model = settings.OPENAI_MODEL
        if not settings.OPENAI_BASE_URL or not self.model:
            raise SummarizerError("The openai backend needs OPENAI_BASE_URL and OPENAI_MODEL.", operator=True)
        self.client = openai.OpenAI(
            base_url=settings.OPENAI_BASE_URL, api_key=settings.OPENAI_API_KEY or "none",
            timeout=settings.LLM_TIMEOUT_SECONDS, max_retries=0,
        )

    def response_format(self):
        if settings.OPENAI_RESPONSE_FORMAT == "json_schema":
            return {"type": "json_schema",
                    "json_schema": {"name": "digest", "schema": Digest.model_json_schema()}}
        if settings.OPENAI_RESPONSE_FORMAT == "json_object":
            return {"type": "json_object"}
        return openai.NOT_GIVEN

    def call(self, system, message):
        schema_hint = "\nAnswer with one JSON object matching this schema:\n" + json.dumps(Digest.model_json_schema())
        try:
            response = self.client.chat.completions.create(
                model=self.model, temperature=0.2, max_tokens=settings.LLM_MAX_OUTPUT_TOKENS,
                messages=[{"role": "system", "content": system + schema_hint}, {"role": "user", "content": message}],
                response_format=self.response_format(),
            )
        except openai.RateLimitError as exc:
            if "insufficient_quota" in str(exc.body):
                raise SummarizerError(f"The OpenAI-compatible endpoint has no quota left: {exc}", operator=True) from exc
            after = exc.response.headers.get("retry-after")
            raise Transient("the endpoint is rate-limiting", retry_after=float(after) if after else None) from exc
        except (openai.AuthenticationError, openai.PermissionDeniedError, openai.NotFoundError) as exc:
            raise SummarizerError(f"The OpenAI-compatible endpoint cannot be used as configured: {exc}",
                                  operator=True) from exc
        except openai.APITimeoutError as exc:
            raise Transient(f"no answer within {settings.LLM_TIMEOUT_SECONDS:.0f}s") from exc
        except openai.APIConnectionError as exc:
            raise Transient(f"the endpoint could not be reached: {exc}") from exc
        except openai.APIStatusError as exc:
            if exc.status_code >= 500:
                raise Transient(f"the endpoint answered {exc.status_code}") from exc
            raise SummarizerError(f"The endpoint refused the request: {exc}") from exc
        usage = response.usage
        details = getattr(usage, "completion_tokens_details", None)
        counts = {
            "input": usage.prompt_tokens if usage else 0,
            "output": usage.completion_tokens if usage else 0,
            "thinking": (getattr(details, "reasoning_tokens", 0) or 0) if details else 0,
        }
        choice = response.choices[0]
        if choice.finish_reason == "content_filter":
            return Reply(None, "blocked", "finish reason content_filter", counts, response.model or self.model)
        finish = "max_tokens" if choice.finish_reason == "length" else "stop"
        return Reply(choice.message.content, finish, "", counts, response.model or self.model)
