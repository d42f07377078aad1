"""Probe an endpoint: which request shapes it takes, and which strategy learning_fs will use with it.

``learning-fs doctor model`` runs this. Each probe is one tiny request (``max_tokens`` of the
``probe`` kind) sent *without* the client's fallbacks, so it shows what the server does with
exactly that shape: plain chat; tools with ``tool_choice`` ``"required"``, ``"auto"`` and a named
function (did a tool call come back?); ``response_format`` ``json_object`` with a schema and
``json_schema``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from learning_fs.extract.client import OpenAIChat
from learning_fs.extract.errors import ModelError
from learning_fs.extract.structured import json_object_format, json_schema_format, parse_json_content

ASK = [{"role": "system", "content": "You record words. Answer briefly."},
       {"role": "user", "content": "Record the word 'apple'."}]
ASK_JSON = [{"role": "user", "content": 'Answer with a JSON object like {"word": "apple"} for the word apple.'}]
WORD_SCHEMA = {"type": "object", "properties": {"word": {"type": "string"}}, "required": ["word"],
               "additionalProperties": False}


def record_word(word: str) -> str:
    """Record one word.

    Args:
        word: The word to record.
    """
    return "ok"


@dataclass(frozen=True)
class Probe:
    """One probe: did the server accept the request, and did the answer have the expected shape."""

    name: str
    accepted: bool
    works: bool
    detail: str
    seconds: float


@dataclass
class ProbeReport:
    """All probes, and the strategy that follows from them."""

    base_url: str
    model: str | None
    probes: list[Probe] = field(default_factory=list)

    def works(self, name: str) -> bool:
        return any(p.name == name and p.works for p in self.probes)

    @property
    def tool_choice(self) -> str | None:
        """What extraction will send: the first of required, auto, named that gave a tool call."""
        for choice in ("required", "auto", "named"):
            if self.works(f"tools, tool_choice={choice}"):
                return choice
        return None

    @property
    def json_style(self) -> str | None:
        for style in ("json_schema", "json_object"):
            if self.works(f"response_format {style}"):
                return style
        return None

    @property
    def ok(self) -> bool:
        """Chat works and extraction has a tool_choice that yields tool calls."""
        return self.works("chat") and self.tool_choice is not None

    def to_dict(self) -> dict[str, Any]:
        return {"base_url": self.base_url, "model": self.model, "ok": self.ok, "tool_choice": self.tool_choice,
                "json_style": self.json_style,
                "probes": [{"name": p.name, "accepted": p.accepted, "works": p.works, "detail": p.detail,
                            "seconds": round(p.seconds, 2)} for p in self.probes]}


def probe_endpoint(model: OpenAIChat) -> ProbeReport:
    """Run every probe against ``model``'s endpoint (never raises for what the server does)."""
    raw = model.for_kind("probe")
    raw._adapt = False  # see exactly what the server does with each shape: no fallbacks, no retries
    raw.max_retries = 0
    report = ProbeReport(model.base_url, model.id)
    report.probes.append(_run("chat", lambda: _text(raw.complete(ASK))))
    for choice in ("required", "auto", "named"):
        value: Any = {"type": "function", "function": {"name": "record_word"}} if choice == "named" else choice
        report.probes.append(_run(f"tools, tool_choice={choice}",
                                  lambda value=value: _tool_call(raw.complete(ASK, tools=[record_word],
                                                                              tool_choice=value))))
    report.probes.append(_run("response_format json_object", lambda: _json(
        raw.complete(ASK_JSON, response_format=json_object_format(WORD_SCHEMA)))))
    report.probes.append(_run("response_format json_schema", lambda: _json(
        raw.complete(ASK_JSON, response_format=json_schema_format("word", WORD_SCHEMA)))))
    return report


def _run(name: str, probe: Any) -> Probe:
    started = time.perf_counter()
    try:
        works, detail = probe()
    except ModelError as exc:
        return Probe(name, False, False, " ".join(str(exc).split())[:160], time.perf_counter() - started)
    return Probe(name, True, works, detail, time.perf_counter() - started)


def _text(response: Any) -> tuple[bool, str]:
    text = " ".join(str(response.content or "").split())
    return bool(text), f"answered {text[:60]!r}" if text else "empty answer"


def _tool_call(response: Any) -> tuple[bool, str]:
    if response.tool_calls:
        call = response.tool_calls[0]
        return True, f"called {call.name}({call.raw_arguments[:60]})"
    text = " ".join(str(response.content or "").split())
    return False, f"no tool call (answered {text[:50]!r}): the server ignored or dropped the tools"


def _json(response: Any) -> tuple[bool, str]:
    try:
        data = parse_json_content(response.content)
    except ModelError as exc:
        return False, str(exc)[:120]
    return True, f"JSON {str(data)[:60]}"
