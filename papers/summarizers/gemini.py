"""Google's Gemini through its maintained SDK, google-genai: one request per paper, JSON by schema."""

import httpx2
from django.conf import settings
from google import genai
from google.genai import errors, types

from .base import SummarizerError
from .llm import LLMSummarizer, Reply, Transient, retry_delay
from .prompt import Digest

BLOCKED_FINISHES = {"SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY"}


class GeminiSummarizer(LLMSummarizer):
    name = "gemini"

    def __init__(self):
        self.model = settings.GEMINI_MODEL
        if not settings.GEMINI_API_KEY:
            raise SummarizerError("Gemini needs GEMINI_API_KEY (or GOOGLE_API_KEY).", operator=True)
        self.client = genai.Client(
            api_key=settings.GEMINI_API_KEY,
            http_options=types.HttpOptions(base_url=settings.GEMINI_BASE_URL or None,
                                           timeout=int(settings.LLM_TIMEOUT_SECONDS * 1000)),
        )

    def call(self, system, message):
        config = types.GenerateContentConfig(
            system_instruction=system, temperature=0.2, max_output_tokens=settings.LLM_MAX_OUTPUT_TOKENS,
            response_mime_type="application/json", response_schema=Digest,
        )
        try:
            response = self.client.models.generate_content(model=self.model, contents=message, config=config)
        except errors.ClientError as exc:
            raise self.client_error(exc) from exc
        except errors.ServerError as exc:
            raise Transient(f"Gemini answered {exc.code} {exc.status}") from exc
        except httpx2.TimeoutException as exc:
            raise Transient(f"Gemini did not answer within {settings.LLM_TIMEOUT_SECONDS:.0f}s") from exc
        except httpx2.TransportError as exc:
            raise Transient(f"Gemini could not be reached: {exc}") from exc
        meta = response.usage_metadata
        usage = {
            "input": getattr(meta, "prompt_token_count", None) or 0,
            "output": getattr(meta, "candidates_token_count", None) or 0,
            "thinking": getattr(meta, "thoughts_token_count", None) or 0,
        }
        version = response.model_version or self.model
        if not response.candidates:
            reason = response.prompt_feedback.block_reason if response.prompt_feedback else None
            return Reply(None, "blocked", f"prompt blocked: {getattr(reason, 'value', reason) or 'no reason given'}",
                         usage, version)
        finish = getattr(response.candidates[0].finish_reason, "value", response.candidates[0].finish_reason) or ""
        if finish in BLOCKED_FINISHES:
            return Reply(None, "blocked", f"finish reason {finish}", usage, version)
        parsed = response.parsed if isinstance(response.parsed, Digest) else None
        return Reply(response.text, "max_tokens" if finish == "MAX_TOKENS" else "stop", "", usage, version, parsed)

    def client_error(self, exc):
        detail = f"{exc.code} {exc.status}: {exc.message}"
        if exc.code == 429:
            if "limit: 0" in (exc.message or ""):
                return SummarizerError(f"Gemini's quota for {self.model} is zero ({detail}). Enable billing or "
                                       "choose another model (GEMINI_MODEL).", operator=True)
            return Transient(f"Gemini is rate-limiting ({exc.status})", retry_after=retry_delay(str(exc.details)))
        if exc.code in (401, 403, 404) or "API_KEY_INVALID" in str(exc.details) or "API key not valid" in (exc.message or ""):
            return SummarizerError(f"Gemini cannot be used as configured: {detail}", operator=True)
        return SummarizerError(f"Gemini refused the request: {detail}")
