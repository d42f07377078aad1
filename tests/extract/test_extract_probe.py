"""``learning-fs doctor model``: what an endpoint takes, probed shape by shape, and the strategy that follows."""

from __future__ import annotations

import json
from typing import Any

import pytest
from click.testing import CliRunner

from learning_fs.cli import cli
from learning_fs.extract.probe import probe_endpoint
from tests.fakellm import FakeLLM, make_model


def llama_like() -> FakeLLM:
    """Answers like llama-cpp-python: required and json_schema refused, auto answers in text (tools dropped)."""
    fake = FakeLLM(server="llama-cpp-python")
    fake.expect_rejections = True
    fake.enqueue_text("OK.")  # chat
    fake.enqueue_text("Sure, apple.")  # auto: no tool call (required was refused, consuming nothing)
    fake.enqueue_tool_calls([("record_word", {"word": "apple"})], finish_reason="stop")  # named
    fake.enqueue_json({"word": "apple"})  # json_object
    return fake


def test_probe_reports_each_shape_and_the_strategy() -> None:
    fake = llama_like()
    report = probe_endpoint(make_model(fake, max_retries=3))
    works = {p.name: p.works for p in report.probes}
    assert works == {"chat": True, "tools, tool_choice=required": False, "tools, tool_choice=auto": False,
                     "tools, tool_choice=named": True, "response_format json_object": True,
                     "response_format json_schema": False}
    assert (report.tool_choice, report.json_style, report.ok) == ("named", "json_object", True)
    assert len(fake.requests) == 6  # one request per probe: no fallbacks, no retries
    assert all(r["max_tokens"] == 64 for r in fake.requests)


def test_doctor_model_prints_the_strategy_and_json(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    fakes = [llama_like(), llama_like()]
    monkeypatch.setattr("learning_fs.cli.chat.make_model", lambda *a, **k: make_model(fakes.pop(0)))
    runner = CliRunner()
    result = runner.invoke(cli, ["--repo", str(tmp_path / "none"), "doctor", "model", "--model", "m"])
    assert result.exit_code == 0, result.output
    assert "extraction sends tool_choice='named'" in result.output
    assert "FAIL tools, tool_choice=required" in result.output
    result = runner.invoke(cli, ["--repo", str(tmp_path / "none"), "doctor", "model", "--model", "m", "--json"])
    assert json.loads(result.output)["tool_choice"] == "named"


def test_doctor_model_fails_when_no_tool_choice_gives_a_tool_call(monkeypatch: pytest.MonkeyPatch,
                                                                    tmp_path: Any) -> None:
    fake = FakeLLM()
    for text in ("OK.", "no", "no", "no", '{"word": "apple"}', '{"word": "apple"}'):
        fake.enqueue_text(text)
    monkeypatch.setattr("learning_fs.cli.chat.make_model", lambda *a, **k: make_model(fake))
    result = CliRunner().invoke(cli, ["--repo", str(tmp_path / "none"), "doctor", "model", "--model", "m"])
    assert result.exit_code == 1
    assert "stores that extract will learn nothing" in result.output
