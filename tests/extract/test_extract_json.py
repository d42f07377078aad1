"""complete_json: json_schema requests, the json_object fallback, and refusing anything that is not valid."""

from __future__ import annotations

from typing import Any, Literal

import pydantic
import pytest

from learning_fs.extract import ModelAPIError, ModelOutputError
from tests.fakellm import FakeLLM, make_model

MESSAGES = [{"role": "user", "content": "I'm Ann, I write Rust. Reply in JSON."}]


class Profile(pydantic.BaseModel):
    """What we know about the user."""

    name: str = pydantic.Field(description="Preferred name")
    languages: list[str] = []
    tone: Literal["formal", "casual"] = "casual"


PROFILE_SCHEMA: dict[str, Any] = {
    "title": "Profile",
    "type": "object",
    "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
    "required": ["name"],
    "additionalProperties": False,
}


def test_pydantic_schema_is_sent_as_json_schema_and_result_validated(fake_llm: FakeLLM) -> None:
    fake_llm.enqueue_json({"name": "Ann", "languages": ["Rust"]})
    result = make_model(fake_llm).complete_json(MESSAGES, Profile)

    assert result == {"name": "Ann", "languages": ["Rust"], "tone": "casual"}
    response_format = fake_llm.last_request["response_format"]
    assert response_format["type"] == "json_schema"
    assert response_format["json_schema"]["name"] == "Profile"
    assert response_format["json_schema"]["strict"] is False
    assert response_format["json_schema"]["schema"] == Profile.model_json_schema()


def test_dict_schema(fake_llm: FakeLLM) -> None:
    fake_llm.enqueue_json({"name": "Ann", "age": 41})
    assert make_model(fake_llm).complete_json(MESSAGES, PROFILE_SCHEMA) == {"name": "Ann", "age": 41}
    assert fake_llm.last_request["response_format"]["json_schema"]["schema"] == PROFILE_SCHEMA


def test_falls_back_to_json_object_when_server_rejects_json_schema(fake_llm: FakeLLM) -> None:
    """llama-cpp-python's server answers 4xx to json_schema but accepts json_object with a schema."""
    fake_llm.enqueue_raw(400, {"error": {"message": "response_format type must be text or json_object"}})
    fake_llm.enqueue_json({"name": "Ann"})
    fake_llm.enqueue_json({"name": "Bob"})
    model = make_model(fake_llm)

    assert model.complete_json(MESSAGES, PROFILE_SCHEMA) == {"name": "Ann"}
    first, second = (request["response_format"] for request in fake_llm.requests)
    assert first["type"] == "json_schema"
    assert second == {"type": "json_object", "schema": PROFILE_SCHEMA}

    # the fallback is remembered: the next call goes straight to json_object
    assert model.complete_json(MESSAGES, PROFILE_SCHEMA) == {"name": "Bob"}
    assert len(fake_llm.requests) == 3
    assert fake_llm.last_request["response_format"]["type"] == "json_object"


def test_500_naming_json_schema_also_triggers_the_fallback(fake_llm: FakeLLM) -> None:
    fake_llm.enqueue_raw(500, {"error": {"message": "unsupported response_format: json_schema"}})
    fake_llm.enqueue_json({"name": "Ann"})
    assert make_model(fake_llm).complete_json(MESSAGES, PROFILE_SCHEMA) == {"name": "Ann"}


def test_plain_500_is_not_retried_as_json_object(fake_llm: FakeLLM) -> None:
    fake_llm.enqueue_raw(500, {"error": {"message": "out of memory"}})
    with pytest.raises(ModelAPIError, match="out of memory"):
        make_model(fake_llm).complete_json(MESSAGES, PROFILE_SCHEMA)
    assert len(fake_llm.requests) == 1


def test_when_both_styles_are_rejected_the_second_error_is_raised(fake_llm: FakeLLM) -> None:
    fake_llm.enqueue_raw(400, {"error": {"message": "no json_schema"}})
    fake_llm.enqueue_raw(400, {"error": {"message": "context length exceeded"}})
    with pytest.raises(ModelAPIError, match="context length exceeded"):
        make_model(fake_llm).complete_json(MESSAGES, PROFILE_SCHEMA)


def test_fenced_json_is_accepted(fake_llm: FakeLLM) -> None:
    fake_llm.enqueue_text('```json\n{"name": "Ann"}\n```')
    assert make_model(fake_llm).complete_json(MESSAGES, PROFILE_SCHEMA) == {"name": "Ann"}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("Sure! Ann writes Rust.", "not valid JSON"),
        ('{"name": "Ann", "age": ', "not valid JSON"),
        ('["Ann"]', "expected a JSON object"),
        ("", "no content"),
        ('{"age": 41}', "'name' is a required property"),
        ('{"name": "Ann", "age": "old"}', "'old' is not of type 'integer'"),
        ('{"name": "Ann", "shoe": 41}', "'shoe' was unexpected"),
        ('Here you go: {"name": "Ann"}', "not valid JSON"),  # no salvaging JSON out of prose
    ],
)
def test_garbage_content_raises_model_output_error(fake_llm: FakeLLM, content: str, message: str) -> None:
    fake_llm.enqueue_text(content)
    with pytest.raises(ModelOutputError, match=message) as info:
        make_model(fake_llm).complete_json(MESSAGES, PROFILE_SCHEMA)
    assert info.value.content == content


def test_pydantic_validation_failure_raises(fake_llm: FakeLLM) -> None:
    fake_llm.enqueue_json({"name": "Ann", "tone": "shouty"})
    with pytest.raises(ModelOutputError, match=r"does not match the schema: .*tone"):
        make_model(fake_llm).complete_json(MESSAGES, Profile)


def test_truncated_answer_raises_even_if_it_parses(fake_llm: FakeLLM) -> None:
    fake_llm.enqueue_json({"name": "Ann"}, finish_reason="length")
    with pytest.raises(ModelOutputError, match="cut off"):
        make_model(fake_llm).complete_json(MESSAGES, PROFILE_SCHEMA)


def test_async_complete_json_with_fallback(fake_llm: FakeLLM, arun: Any) -> None:
    fake_llm.enqueue_raw(422, {"detail": [{"loc": ["body", "response_format"], "msg": "bad type"}]})
    fake_llm.enqueue_json({"name": "Ann", "languages": ["Rust"], "tone": "formal"})
    result = arun(make_model(fake_llm).acomplete_json(MESSAGES, Profile))
    assert result == {"name": "Ann", "languages": ["Rust"], "tone": "formal"}
    assert [r["response_format"]["type"] for r in fake_llm.requests] == ["json_schema", "json_object"]
