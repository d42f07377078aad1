"""``learning-fs chat``: a clear refusal without a model; a learning conversation with one."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from learning_fs.cli import chat as chat_module
from learning_fs.cli import cli
from learning_fs.extract import OpenAIChat
from learning_fs.repo import MemoryRepo
from tests.machine.fixtures import Switchboard, git


def _invoke(*args: str, input: str | None = None, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, list(args), input=input, env=env, prog_name="learning-fs")


def test_without_a_model_it_says_how_to_configure_one_and_exits_1(repo: MemoryRepo) -> None:
    result = _invoke("--repo", str(repo.root), "chat", "--user", "alice")
    assert result.exit_code == 1
    assert "No model is configured" in result.output and "OPENAI_API_KEY" in result.output
    assert "LEARNING_FS_BASE_URL" in result.output and "Ollama" in result.output


def test_a_local_server_needs_a_model_name(repo: MemoryRepo) -> None:
    result = _invoke("--repo", str(repo.root), "chat", "--user", "alice", "--base-url", "http://localhost:11434/v1")
    assert result.exit_code == 1 and "LEARNING_FS_MODEL (--model)" in result.output


def test_model_configuration_from_flags_and_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    local = chat_module.make_model("qwen2.5:7b", "http://localhost:11434/v1")
    assert isinstance(local, OpenAIChat) and (local.id, local.base_url) == ("qwen2.5:7b", "http://localhost:11434/v1")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    assert chat_module.make_model(None, None).id == "gpt-4.1-mini"  # type: ignore[attr-defined]
    monkeypatch.setenv("LEARNING_FS_BASE_URL", "http://gpu-box:8000/v1")
    monkeypatch.setenv("LEARNING_FS_MODEL", "served-model")
    vllm = chat_module.make_model(None, None)
    assert (vllm.id, vllm.base_url) == ("served-model", "http://gpu-box:8000/v1")  # type: ignore[attr-defined]


def test_a_chat_answers_learns_and_tells_how_to_resume(
    repo: MemoryRepo, switchboard: Switchboard, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(chat_module, "make_model", lambda model_id, base_url, **options: switchboard.model())
    memory = switchboard.extraction("add_memory")
    memory.enqueue_tool_calls([("add_memory", {"memory": "Is learning Rust"})]).enqueue_text("ok")
    for tools in (("update_user_profile",), ("update_session_context",), ("create_entity",)):
        switchboard.extraction(*tools).enqueue_text("nothing")
    switchboard.agent.enqueue_text("Start with the Rust book.")

    result = _invoke("--repo", str(repo.root), "chat", "--user", "alice", "--session", "s-1",
                     input="I'm learning Rust, where do I start?\n/context\n/exit\n")

    assert result.exit_code == 0, result.output
    assert "Start with the Rust book." in result.output
    assert "Is learning Rust" in result.output  # /context waits for the background learning
    assert "learning-fs chat --user alice --session s-1" in result.output
    assert "Learning-Store: user_memory" in git(repo, "log", "-1", "--format=%B")
    assert (repo.root / ".learning_fs" / "sessions" / "alice" / "s-1.jsonl").is_file()
