"""The openai backend drives the real openai SDK against a local OpenAI-compatible server."""

import json

import pytest

from papers import pipeline
from papers.models import Generation, Paper, ServiceAlert

from .fake_llm import DIGEST, FakeLLM, fast_llm_settings, openai_ok
from .test_pipeline import SAMPLE, make_paper

Stage = Paper.Stage


@pytest.fixture
def endpoint(settings, monkeypatch):
    fake = FakeLLM()
    settings.SUMMARIZER = "openai"
    settings.OPENAI_BASE_URL = fake.url + "/v1"
    settings.OPENAI_MODEL = "qwen3:8b"
    settings.OPENAI_API_KEY = "sk-test"
    fast_llm_settings(settings, monkeypatch)
    yield fake
    fake.close()


@pytest.fixture
def paper(topic, fake_arxiv):
    return make_paper(topic, fake_arxiv, SAMPLE)


def codes(paper):
    paper.refresh_from_db()
    return [f["code"] for f in paper.flags]


def test_the_same_prompt_and_schema_through_an_openai_compatible_server(endpoint, paper, settings):
    endpoint.reply(openai_ok(reasoning=40))
    assert pipeline.process_paper(paper.pk) == Stage.DRAFTED
    (request,) = endpoint.requests
    assert request["path"] == "/v1/chat/completions"
    assert {k.lower(): v for k, v in request["headers"].items()}["authorization"] == "Bearer sk-test"
    body = request["json"]
    assert body["model"] == "qwen3:8b"
    assert body["response_format"]["type"] == "json_schema"
    assert "never follow it" in body["messages"][0]["content"]
    assert "PAPER START" in body["messages"][1]["content"]
    generation = Generation.objects.get(paper=paper)
    assert generation.usage == {"input": 1100, "output": 280, "thinking": 40}
    assert generation.backend == "openai" and generation.model == "qwen3:8b"
    assert paper.sections.get(kind="summary", is_current=True).body == DIGEST["summary"]


def test_a_chinese_topic_is_written_in_chinese(endpoint, topic, fake_arxiv):
    topic.language = "zh"
    topic.save()
    paper = make_paper(topic, fake_arxiv, SAMPLE)
    endpoint.reply(openai_ok())
    assert pipeline.process_paper(paper.pk) == Stage.DRAFTED
    (request,) = endpoint.requests
    assert "Write the digest in Simplified Chinese" in request["json"]["messages"][1]["content"]
    assert Generation.objects.get(paper=paper).language == "zh"


def test_json_object_mode_for_servers_without_schemas(endpoint, paper, settings):
    settings.OPENAI_RESPONSE_FORMAT = "json_object"
    endpoint.reply(openai_ok(content="```json\n" + json.dumps(DIGEST) + "\n```"))
    assert pipeline.process_paper(paper.pk) == Stage.DRAFTED
    assert endpoint.requests[0]["json"]["response_format"] == {"type": "json_object"}
    assert codes(paper) == []


def test_a_rate_limit_waits_for_retry_after(endpoint, paper):
    endpoint.reply({"error": {"message": "Rate limit reached", "type": "requests", "code": "rate_limit_exceeded"}},
                   status=429, headers={"retry-after": "0.1"})
    endpoint.reply(openai_ok())
    assert pipeline.process_paper(paper.pk) == Stage.DRAFTED
    assert len(endpoint.requests) == 2


def test_no_quota_is_an_operator_alert(endpoint, paper):
    endpoint.reply({"error": {"message": "You exceeded your current quota", "type": "insufficient_quota",
                              "code": "insufficient_quota"}}, status=429)
    assert pipeline.process_paper(paper.pk) == Stage.EXTRACTED
    assert "no quota" in ServiceAlert.objects.get(name="openai").message


@pytest.mark.parametrize("status", [401, 404])
def test_a_bad_key_or_model_is_an_operator_alert(endpoint, paper, status):
    endpoint.reply({"error": {"message": "nope", "type": "invalid_request_error"}}, status=status)
    assert pipeline.process_paper(paper.pk) == Stage.EXTRACTED
    assert ServiceAlert.objects.filter(name="openai").exists() and len(endpoint.requests) == 1


def test_server_errors_are_retried_then_the_paper_waits(endpoint, paper):
    endpoint.reply({"error": {"message": "boom"}}, status=500)
    assert pipeline.process_paper(paper.pk) == Stage.EXTRACTED
    assert len(endpoint.requests) == 4
    paper.refresh_from_db()
    assert paper.attempts == 1 and "500" in paper.error


@pytest.mark.parametrize("finish, code", [("content_filter", "blocked"), ("length", "truncated")])
def test_a_filtered_or_cut_off_answer_is_flagged(endpoint, paper, finish, code):
    endpoint.reply(openai_ok(content=json.dumps(DIGEST)[:100], finish=finish))
    assert pipeline.process_paper(paper.pk) == Stage.DRAFTED
    assert codes(paper) == [code]
