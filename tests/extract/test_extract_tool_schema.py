"""Tool schemas from signatures, type hints and docstrings: what the model is told about each tool."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any, Literal, Optional

import pydantic
import pytest

from learning_fs.extract import Tool, tool_schema
from learning_fs.extract.tools import parse_docstring


@dataclass
class UserProfile:
    """The built-in profile; applications subclass it with their own described fields."""

    name: str | None = field(default=None, metadata={"description": "What the user likes to be called"})
    languages: list[str] = field(default_factory=list, metadata={"description": "Languages the user speaks"})


@dataclass
class TeamProfile(UserProfile):
    team: str | None = field(default=None, metadata={"description": "The user's team at work"})


class Decision(pydantic.BaseModel):
    """A decision and why it was made."""

    title: str = pydantic.Field(description="What was decided")
    rationale: str = ""


def save_learning(
    title: str,
    body: str,
    kind: Literal["fact", "pattern", "pitfall"] = "fact",
    source: Optional[str] = None,  # noqa: UP045 - testing the typing.Optional spelling on purpose
    tags: list[str] | None = None,
    confidence: float = 0.5,
) -> str:
    """Save something the conversation taught, so future runs can recall it.

    Call it once per distinct lesson.

    Args:
        title: One line naming the lesson.
        body (str): The lesson in a few sentences; wrapped lines
            are joined.
        kind: What sort of lesson it is.
        source: Where it came from.

    Returns:
        The id of the saved learning.
    """
    return "ok"


def parameters(function: Any, **kwargs: Any) -> dict[str, Any]:
    return tool_schema(function, **kwargs)["function"]["parameters"]


def test_full_schema_for_a_documented_function() -> None:
    assert tool_schema(save_learning) == {
        "type": "function",
        "function": {
            "name": "save_learning",
            "description": "Save something the conversation taught, so future runs can recall it.\n\n"
            "Call it once per distinct lesson.",
            "parameters": {
                "type": "object",
                "additionalProperties": False,
                "required": ["title", "body"],
                "properties": {
                    "title": {"type": "string", "description": "One line naming the lesson."},
                    "body": {
                        "type": "string",
                        "description": "The lesson in a few sentences; wrapped lines are joined.",
                    },
                    "kind": {
                        "type": "string",
                        "enum": ["fact", "pattern", "pitfall"],
                        "default": "fact",
                        "description": "What sort of lesson it is.",
                    },
                    "source": {
                        "anyOf": [{"type": "string"}, {"type": "null"}],
                        "default": None,
                        "description": "Where it came from.",
                    },
                    "tags": {
                        "anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "null"}],
                        "default": None,
                    },
                    "confidence": {"type": "number", "default": 0.5},
                },
            },
        },
    }


def test_dataclass_field_descriptions_reach_the_model() -> None:
    def update_profile(profile: TeamProfile) -> None:
        """Update the user's profile.

        Args:
            profile: Only the fields that changed.
        """

    schema = parameters(update_profile)["properties"]["profile"]
    assert schema["description"] == "Only the fields that changed."
    assert schema["type"] == "object"
    assert schema["properties"]["name"]["description"] == "What the user likes to be called"
    assert schema["properties"]["languages"]["description"] == "Languages the user speaks"
    assert schema["properties"]["team"]["description"] == "The user's team at work"  # subclass field
    assert "$ref" not in str(parameters(update_profile)) and "$defs" not in str(parameters(update_profile))


def test_pydantic_model_argument_is_described_field_by_field() -> None:
    def record_decision(decision: Decision) -> None:
        """Only the signature matters: it becomes the schema."""

    schema = parameters(record_decision)["properties"]["decision"]
    assert schema["description"] == "A decision and why it was made."
    assert schema["properties"]["title"] == {"type": "string", "description": "What was decided"}
    assert schema["required"] == ["title"]


def test_property_named_title_survives_title_stripping() -> None:
    def f(title: str, decision: Decision) -> None:
        """Only the signature matters: it becomes the schema."""

    props = parameters(f)["properties"]
    assert set(props) == {"title", "decision"}
    assert "title" in props["decision"]["properties"]


def test_parameter_names_that_clash_with_pydantic_are_fine() -> None:
    def f(json: str, model_config: int, schema: bool = False) -> None:
        """Only the signature matters: it becomes the schema."""

    props = parameters(f)["properties"]
    assert list(props) == ["json", "model_config", "schema"]


def test_undocumented_unannotated_function() -> None:
    def ping(target, count=3):  # type: ignore[no-untyped-def]
        return target

    assert tool_schema(ping)["function"] == {
        "name": "ping",
        "parameters": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"target": {}, "count": {"default": 3}},
            "required": ["target"],
        },
    }


def test_bound_methods_partials_and_explicit_names() -> None:
    class Store:
        def save(self, text: str) -> None:
            """Save text."""

    assert tool_schema(Store().save)["function"]["name"] == "save"
    assert list(parameters(Store().save)["properties"]) == ["text"]
    partial = functools.partial(save_learning, kind="pitfall")
    assert tool_schema(partial)["function"]["name"] == "save_learning"
    assert tool_schema(save_learning, name="remember")["function"]["name"] == "remember"


@pytest.mark.parametrize(
    "function",
    [lambda *args: None, lambda **kwargs: None, lambda x, /: None],
    ids=["var-positional", "var-keyword", "positional-only"],
)
def test_signatures_a_model_cannot_call_are_refused(function: Any) -> None:
    with pytest.raises(TypeError):
        Tool.from_function(function, name="f")


def test_invalid_tool_names_are_refused() -> None:
    with pytest.raises(ValueError, match="tool name"):
        Tool.from_function(lambda: None)  # "<lambda>"


def test_parse_docstring_sections() -> None:
    summary, args = parse_docstring(
        """Do a thing.

        Note that the following applies:

        Args:
            a: First.
            b (list[str], optional): Second,
                continued.
            **extra: Ignored.

        Raises:
            ValueError: never described as an argument.
        """
    )
    assert summary == "Do a thing.\n\nNote that the following applies:"
    assert args == {"a": "First.", "b": "Second, continued.", "extra": "Ignored."}
