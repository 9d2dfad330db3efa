"""A local HTTP server standing in for an LLM API: replays queued responses, records requests."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def fast_llm_settings(settings, monkeypatch):
    """No real waiting in tests: a short timeout, no pacing, tiny backoffs."""
    from papers.summarizers import llm

    settings.LLM_TIMEOUT_SECONDS = 1
    settings.LLM_REQUESTS_PER_MINUTE = 60000
    monkeypatch.setattr(llm, "BACKOFF_SECONDS", (0.01, 0.01, 0.01))


class FakeLLM:
    def __init__(self):
        self.queue = []  # (status, body dict or str, headers, delay)
        self.requests = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                fake.requests.append({"path": self.path, "json": json.loads(body or b"{}"),
                                      "headers": dict(self.headers)})
                status, payload, headers, delay = fake.queue.pop(0) if len(fake.queue) > 1 else fake.queue[0]
                if delay:
                    threading.Event().wait(delay)
                data = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def reply(self, body, status=200, headers=None, delay=0):
        self.queue.append((status, body, headers or {}, delay))

    def close(self):
        self.server.shutdown()
        self.server.server_close()


DIGEST = {
    "summary": "The paper tests whether ChatGPT ranks answers as people do.",
    "key_takeaways": [
        "ChatGPT ranked responses from five models on a prompt test set.",
        "Its preferences agree with human annotators to a certain extent.",
        "Two prompt formats were compared: one-by-one and one-for-all ranking.",
        "The agreement suggests ChatGPT could annotate preference data cheaply.",
        "Such annotations could bootstrap reward models for RLHF.",
    ],
    "method": [
        "Build a test set of prompts covering many use cases.",
        "Generate responses with five models.",
        "Ask ChatGPT to score or rank the responses with two prompt formats.",
        "Compare ChatGPT's rankings with human preference labels.",
    ],
    "conclusion": {
        "significance": "Cheap preference labels from ChatGPT could speed up reward-model training.",
        "novelty": "An early, preliminary measurement rather than a new method.",
        "performance": "Agreement is partial and varies by model pair.",
        "workload": "A modest study on one test set.",
    },
    "method_from_abstract": False,
    "conclusion_from_abstract": False,
    "translated_abstract": "本文研究 ChatGPT 对回答的排序是否与人类一致。",
}


def gemini_ok(digest=None, text=None, finish="STOP", prompt_tokens=1200, output_tokens=300, thinking=50):
    return {
        "candidates": [{"content": {"parts": [{"text": text if text is not None else json.dumps(digest or DIGEST,
                                                                                              ensure_ascii=False)}],
                                    "role": "model"},
                        "finishReason": finish, "index": 0}],
        "usageMetadata": {"promptTokenCount": prompt_tokens, "candidatesTokenCount": output_tokens,
                          "thoughtsTokenCount": thinking, "totalTokenCount": prompt_tokens + output_tokens + thinking},
        "modelVersion": "gemini-3.1-flash-lite-001",
    }


def gemini_error(code, status, message, details=None):
    return {"error": {"code": code, "message": message, "status": status, **({"details": details} if details else {})}}


def openai_ok(content=None, finish="stop", reasoning=0):
    return {
        "id": "chatcmpl-1", "object": "chat.completion", "created": 1764000000, "model": "qwen3:8b",
        "choices": [{"index": 0, "finish_reason": finish,
                     "message": {"role": "assistant", "content": content if content is not None
                                 else json.dumps(DIGEST, ensure_ascii=False)}}],
        "usage": {"prompt_tokens": 1100, "completion_tokens": 280, "total_tokens": 1380,
                  "completion_tokens_details": {"reasoning_tokens": reasoning}},
    }
