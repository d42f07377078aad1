"""Session context: summary (goal, plan, progress with planning) that builds on the previous one."""

from __future__ import annotations

from typing import Any

from learning_fs.format.records import SessionRecord
from learning_fs.repo import MemoryRepo
from learning_fs.stores import SessionContextConfig
from tests.fakellm import FakeLLM
from tests.stores.conftest import process, system_prompt, tool_names, tools, turn


def test_each_update_builds_on_the_previous_context(repo: MemoryRepo, fake_llm: FakeLLM, model: Any) -> None:
    store = SessionContextConfig().build(repo)
    fake_llm.enqueue_tool_calls([("update_session_context", {"summary": "Alice is debugging a flaky CI job."})])
    fake_llm.enqueue_text("ok")
    process(store, repo, model, turn("My CI job fails randomly", "Let's look at the logs."))
    assert "(none: this is the start of the session)" in system_prompt(fake_llm, 0)
    fake_llm.enqueue_tool_calls([("update_session_context", {
        "summary": "Alice is debugging a flaky CI job; the cause is a race in the test fixtures."})])
    fake_llm.enqueue_text("ok")
    process(store, repo, model, turn("It was the fixtures!", "Great, a race condition then."))
    assert "Summary: Alice is debugging a flaky CI job." in system_prompt(fake_llm, 2)  # previous context
    record = store.recall(user_id="alice", session_id="s1")
    assert isinstance(record, SessionRecord) and "race in the test fixtures" in record.summary
    assert tool_names(fake_llm) == ["update_session_context", "nothing_to_save"]
    assert "plan" not in fake_llm.requests[0]["tools"][0]["function"]["parameters"]["properties"]


def test_planning_tracks_goal_plan_and_progress(repo: MemoryRepo) -> None:
    store = SessionContextConfig(mode="agentic", enable_planning=True).build(repo)
    update = tools(store, repo)["update_session_context"]
    update(summary="Migrating the blog", goal="Move the blog to Hugo", plan=["Export posts", "Convert", "Deploy"])
    update(completed_steps=[1], progress=["Exported 120 posts"])
    update(plan=["Export posts", "Convert", "Check links", "Deploy"])
    context = store.build_context(store.recall(user_id="alice", session_id="s1"))
    assert "Goal: Move the blog to Hugo" in context
    assert "1. [x] Export posts" in context  # kept its done state when the plan changed
    assert "3. [ ] Check links" in context
    assert "- Exported 120 posts" in context
    assert update(completed_steps=[99]) == "Session context unchanged."


def test_agentic_mode_works_and_sessions_stay_apart(repo: MemoryRepo) -> None:
    store = SessionContextConfig(mode="agentic").build(repo)
    tools(store, repo, session_id="s1")["update_session_context"](summary="Planning a trip to Rome")
    tools(store, repo, session_id="s2")["update_session_context"](summary="Writing a cover letter")
    assert store.recall(user_id="alice", session_id="s1").summary == "Planning a trip to Rome"
    assert store.build_context(store.recall(user_id="alice", session_id="s2")) == "Summary: Writing a cover letter"
    assert store.recall(user_id="bob", session_id="s1") is None  # same session id, other user


def test_anonymous_session_lives_outside_the_users_folder(repo: MemoryRepo) -> None:
    store = SessionContextConfig(mode="agentic").build(repo)
    assert tools(store, repo, user_id=None)["update_session_context"](summary="Anonymous chat").startswith("Updated")
    assert repo.paths("session")[0].startswith("sessions/")
    assert store.recall(session_id="s1").summary == "Anonymous chat"
    assert store.recall(user_id="alice", session_id="s1") is None
