"""The demo's learning-loop chapter: scripted (and saying so) without a model, real with one."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from rich.console import Console

from learning_fs.demo import DemoContext, run_demo
from learning_fs.demo import loop as loop_step
from learning_fs.repo import MemoryRepo
from tests.machine.fixtures import Switchboard, git


def test_without_a_model_the_demo_scripts_the_agent_and_session_two_recalls_session_one(tmp_path: Path) -> None:
    out = io.StringIO()
    run_demo(directory=tmp_path / "demo", console=Console(file=out, width=200))
    text = out.getvalue()

    chapter = text[text.index("The learning loop, session 1"):]
    assert "Scripted agent: no model is configured" in chapter and "no model runs here" in chapter
    assert "agent -> save_learning(" in chapter
    taught = chapter[chapter.index("because of session 1"):]
    for line in ("Wants every DAG covered by a pytest smoke test", "Runs Airflow on Kubernetes.",
                 "Use reschedule mode for long Airflow sensors"):
        assert line in taught
    assert "Learning-Mode: agentic" in chapter and "> Two things for next time" in chapter


def test_with_a_model_the_real_agent_runs_session_one(
    repo: MemoryRepo, switchboard: Switchboard, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(loop_step, "configured_model", lambda: (switchboard.model(), "a real model answers"))
    switchboard.extraction("update_user_profile").enqueue_text("nothing new")
    switchboard.agent.enqueue_tool_calls([("save_learning", loop_step.SCRIPT[2][1])])
    switchboard.agent.enqueue_text("Use a sensor in reschedule mode.")
    out = io.StringIO()
    ctx = DemoContext(directory=repo.root, repo=repo, console=Console(file=out, width=200),
                      start=dt.datetime.now(dt.timezone.utc))

    loop_step.run(ctx)

    text = out.getvalue()
    assert "Scripted agent" not in text
    assert "Agent: Use a sensor in reschedule mode." in text
    assert loop_step.TEACHING in switchboard.agent.requests[0]["messages"][-1]["content"]
    assert "Use reschedule mode for long Airflow sensors" in ctx.notes["loop_context"]
    assert "Learning-Mode: agentic" in git(repo, "log", "-1", "--format=%B")


def test_a_base_url_without_a_model_name_falls_back_to_the_script(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEARNING_FS_BASE_URL", "http://localhost:11434/v1")
    model, why = loop_step.configured_model()
    assert model is None and "LEARNING_FS_MODEL" in why
