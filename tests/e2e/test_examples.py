"""Every example's ``main`` runs against a scripted model, so the cookbook keeps working."""

from __future__ import annotations

import importlib.util
import shlex
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from learning_fs.machine import Requirement
from tests.fakellm import FakeLLM, make_model
from tests.machine.fixtures import Switchboard, text_of

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def load(relative: str) -> ModuleType:
    path = EXAMPLES / relative
    spec = importlib.util.spec_from_file_location(f"example_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve string annotations through sys.modules
    spec.loader.exec_module(module)
    return module


def test_every_example_is_covered_here() -> None:
    scripts = {p.relative_to(EXAMPLES).as_posix() for p in EXAMPLES.rglob("*.py")}
    scripts = {s for s in scripts if not s.startswith("agno/")}  # Agno's cookbook ports: tests/agno/test_cookbook.py
    tested = {name for name in dir(sys.modules[__name__]) if name.startswith("test_")}
    for script in scripts:
        assert f"test_{Path(script).stem}" in tested, f"{script} has no test"


def test_an_example_without_a_model_says_how_to_configure_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_info:
        load("basics/hello_learning.py").main()
    assert exit_info.value.code == 1
    error = capsys.readouterr().err
    assert "No model is configured" in error and "OPENAI_API_KEY" in error and "LEARNING_FS_BASE_URL" in error
    assert not (tmp_path / "tmp").exists()  # it stopped before creating a repository


def test_hello_learning(tmp_path: Path, switchboard: Switchboard) -> None:
    profile = switchboard.extraction("update_user_profile")
    memory = switchboard.extraction("add_memory")
    profile.enqueue_tool_calls([("update_user_profile", {"name": "Alice", "preferred_name": "Alice"})])
    profile.enqueue_text("ok").enqueue_text("nothing new")
    memory.enqueue_tool_calls([("add_memory", {"memory": "Data engineer at Acme; prefers concise answers"})])
    memory.enqueue_text("ok").enqueue_text("nothing new")
    switchboard.agent.enqueue_text("Nice to meet you, Alice.").enqueue_text("You're Alice, a data engineer.")

    first, second = load("basics/hello_learning.py").main(model=switchboard.model(), repo=tmp_path / "m")

    assert first.context == ""
    assert "Alice" in second.context and "prefers concise answers" in second.context


def test_user_profile(tmp_path: Path, fake_llm: FakeLLM) -> None:
    fake_llm.enqueue_tool_calls([("update_user_profile", {"name": "Samuel Okafor", "preferred_name": "Sam"})])
    fake_llm.enqueue_text("Got it, Sam.").enqueue_text("Sam.")
    first, second = load("basics/user_profile.py").main(model=make_model(fake_llm), repo=tmp_path / "m")
    assert [c.name for c in first.tool_calls] == ["update_user_profile"]
    assert "Samuel Okafor" in second.context and "Sam" in text_of(fake_llm.requests[2])


def test_session_context(tmp_path: Path, switchboard: Switchboard) -> None:
    session = switchboard.extraction("update_session_context")
    session.enqueue_tool_calls([("update_session_context", {
        "summary": "Planning a 3-day Lisbon trip in May.", "goal": "A day-by-day plan for Lisbon",
        "plan": ["Day 1: museums", "Day 2: food tour", "Day 3: Sintra day trip"]})])
    session.enqueue_text("ok").enqueue_text("nothing new")
    switchboard.agent.enqueue_text("Here's a draft plan.").enqueue_text("We were planning Lisbon: day 1 museums.")

    _, second = load("basics/session_context.py").main(model=switchboard.model(), repo=tmp_path / "m")

    assert "A day-by-day plan for Lisbon" in second.context and "Sintra day trip" in second.context
    assert [m["role"] for m in switchboard.agent.requests[1]["messages"]] == ["system", "user"]  # no history


def test_entity_memory(tmp_path: Path, switchboard: Switchboard) -> None:
    entities = switchboard.extraction("create_entity")
    entities.enqueue_tool_calls([
        ("create_entity", {"name": "Acme Corp", "entity_type": "organization", "description": "Biggest customer"}),
        ("add_fact", {"entity": "Acme Corp", "fact": "CTO is Priya Raman"}),
        ("add_event", {"entity": "Acme Corp", "event": "Renewed their contract", "date": "2025-03-01"}),
        ("add_relationship", {"entity": "Priya Raman", "relation": "works_at", "target": "Acme Corp"}),
    ]).enqueue_text("ok").enqueue_text("nothing new")
    switchboard.agent.enqueue_text("Noted.").enqueue_text("Priya Raman is their CTO.")

    _, second = load("basics/entity_memory.py").main(model=switchboard.model(), repo=tmp_path / "m")

    assert "CTO is Priya Raman" in second.context and "2025-03-01" in second.context


def test_learned_knowledge(tmp_path: Path, fake_llm: FakeLLM) -> None:
    fake_llm.enqueue_tool_calls([("save_learning", {
        "title": "Pin the index mirror and retry installs in CI",
        "learning": "CI package installs that time out: pin the index mirror and add 3 retries."})])
    fake_llm.enqueue_text("Saved.").enqueue_text("Pin the mirror and retry.")
    _, second = load("basics/learned_knowledge.py").main(model=make_model(fake_llm), repo=tmp_path / "m")
    assert second.user_id == "bob" and "pin the index mirror and add 3 retries" in second.context


def test_custom_schema(tmp_path: Path, switchboard: Switchboard) -> None:
    profile = switchboard.extraction("update_user_profile")
    profile.enqueue_tool_calls([("update_user_profile", {
        "name": "Jordan", "company": "Globex", "plan_tier": "pro", "main_use_case": "invoicing"})])
    profile.enqueue_text("ok").enqueue_text("nothing new")
    switchboard.agent.enqueue_text("Welcome, Jordan.").enqueue_text("Yes, on Pro you can.")

    _, second = load("custom/custom_schema.py").main(model=switchboard.model(), repo=tmp_path / "m")

    schema = str(profile.requests[0]["tools"])
    assert "Subscription tier: free, pro or enterprise" in schema and "The company the customer works for" in schema
    assert "Globex" in second.context and "invoicing" in second.context


def test_custom_store(tmp_path: Path, fake_llm: FakeLLM) -> None:
    fake_llm.enqueue_tool_calls([("define_term", {
        "term": "ARR", "definition": "Contracted annual revenue, excluding one-offs."})])
    fake_llm.enqueue_text("Added to the glossary.").enqueue_text("ARR is contracted annual revenue.")
    _, second = load("custom/custom_store.py").main(model=make_model(fake_llm), repo=tmp_path / "m")
    assert "<glossary>\n- ARR: Contracted annual revenue, excluding one-offs.\n</glossary>" in second.context
    assert "define_term" in str(fake_llm.requests[0]["tools"])


def test_agentic(tmp_path: Path, fake_llm: FakeLLM) -> None:
    fake_llm.enqueue_tool_calls([("update_user_profile", {"name": "Noor"}),
                                 ("add_memory", {"memory": "Is allergic to peanuts"})])
    fake_llm.enqueue_text("Noted, Noor.").enqueue_text("Try a peanut-free fruit crumble.")
    first, second = load("modes/agentic.py").main(model=make_model(fake_llm), repo=tmp_path / "m")
    assert [c.name for c in first.tool_calls] == ["update_user_profile", "add_memory"]
    assert "Is allergic to peanuts" in second.context


def test_propose(tmp_path: Path, switchboard: Switchboard, capsys: pytest.CaptureFixture[str]) -> None:
    extractor = switchboard.extraction("save_learning")
    extractor.enqueue_tool_calls([("save_learning", {
        "title": "Set statement_timeout on reporting queries",
        "learning": "Reporting queries against the primary need a statement_timeout."})]).enqueue_text("ok")
    switchboard.agent.enqueue_text("Good lesson.")

    load("modes/propose.py").main(model=switchboard.model(), repo=tmp_path / "m")

    printed = capsys.readouterr().out
    assert "proposals/learning/set-statement-timeout-on-reporting-queries" in printed
    assert "Learning-Mode: propose" in printed
    assert not list((tmp_path / "m").glob("learnings/**/*.md"))  # main's working tree untouched

    # The review steps the example prints are real commands that work as it says.
    steps = {line.split(":", 1)[0].strip(): shlex.split(line.split(":", 1)[1])
             for line in printed.splitlines() if line.strip().startswith(("review:", "approve:", "drop:"))}
    assert set(steps) == {"review", "approve", "drop"}
    diff = subprocess.run(steps["review"], capture_output=True, text=True, check=True).stdout
    assert "+Reporting queries against the primary need a statement_timeout." in diff
    subprocess.run(steps["approve"], capture_output=True, text=True, check=True)
    [merged] = (tmp_path / "m").glob("learnings/**/*.md")
    assert "statement_timeout" in merged.read_text(encoding="utf-8")
    subprocess.run(steps["drop"], capture_output=True, text=True, check=True)  # merged: the branch can go
    assert "proposals/" not in subprocess.run(["git", "branch"], cwd=tmp_path / "m", capture_output=True,
                                              text=True, check=True).stdout


def test_hitl(tmp_path: Path, fake_llm: FakeLLM) -> None:
    fake_llm.enqueue_tool_calls([("add_memory", {"memory": "Is vegetarian and cooks for two"})])
    fake_llm.enqueue_text("Noted.")
    fake_llm.enqueue_tool_calls([("add_memory", {"memory": "Dislikes cilantro"})]).enqueue_text("No cilantro.")
    asked: list[str] = []

    def confirm_first_only(requirement: Requirement) -> bool:
        asked.append(requirement.arguments["memory"])
        return len(asked) == 1

    first, second = load("modes/hitl.py").main(model=make_model(fake_llm), repo=tmp_path / "m",
                                               confirm=confirm_first_only)

    assert asked == ["Is vegetarian and cooks for two", "Dislikes cilantro"]
    assert (first.content, second.content) == ("Noted.", "No cilantro.")
    [memories] = (tmp_path / "m").glob("users/**/memories.md")
    assert "Is vegetarian and cooks for two" in memories.read_text() and "cilantro" not in memories.read_text()
    assert "rejected" in fake_llm.requests[3]["messages"][-1]["content"]


def test_multi_user(tmp_path: Path, fake_llm: FakeLLM) -> None:
    fake_llm.enqueue_tool_calls([
        ("save_learning", {"title": "Nightly export deadline",
                           "learning": "The nightly export must finish before 06:00 CET or finance escalates."}),
        ("add_memory", {"memory": "Is off every Friday"}),
    ]).enqueue_text("Saved.").enqueue_text("Before 06:00 CET; I can't tell you about Alice's schedule.")

    _, bob = load("multi_user.py").main(model=make_model(fake_llm), repo=tmp_path / "m")

    assert "06:00 CET" in bob.context and "Friday" not in bob.context
    assert "Is off every Friday" not in text_of(fake_llm.requests[2])
    [learning] = (tmp_path / "m").glob("learnings/acme-data/**/*.md")
    assert learning.name == "nightly-export-deadline.md"
