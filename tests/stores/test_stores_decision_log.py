"""Decision log: log decisions with reasoning, record outcomes, recall relevant ones."""

from __future__ import annotations

from typing import Any

from learning_fs.format.records import DecisionRecord
from learning_fs.repo import MemoryRepo
from learning_fs.stores import DecisionLogConfig
from tests.fakellm import FakeLLM
from tests.stores.conftest import process, system_prompt, tools, turn


def _id(result: str) -> str:
    return result.split()[2].rstrip(".")


def test_log_decision_and_record_outcome(repo: MemoryRepo) -> None:
    store = DecisionLogConfig().build(repo)
    t = tools(store, repo)
    assert list(t) == ["search_decisions", "log_decision", "record_outcome"]
    decision = _id(t["log_decision"]("Use PostgreSQL for billing", "Needs transactions", ["MongoDB", "SQLite"], 0.8))
    assert t["record_outcome"](decision, "Handled Black Friday load", "good").startswith("Recorded")
    assert t["record_outcome"]("dec-unknown", "x", "bad") == "Error: no decision with id 'dec-unknown'."
    assert t["log_decision"]("x", "y", confidence=3).startswith("Error: confidence")
    [record] = repo.list("decision")
    assert isinstance(record, DecisionRecord)
    assert (record.confidence, record.outcome_quality) == (0.8, "good")
    assert [a.text for a in record.alternatives] == ["MongoDB", "SQLite"]
    found = t["search_decisions"]("billing database")
    assert decision in found and "good: Handled Black Friday load" in found


def test_recall_shows_relevant_decisions_newest_first(repo: MemoryRepo) -> None:
    store = DecisionLogConfig(recall_limit=2).build(repo)
    log = tools(store, repo)["log_decision"]
    log("Cache sessions in Redis", "Low latency")
    log("Use Redis streams for the job queue", "Already run Redis")
    log("Write the CLI in Go", "Single binary")
    recalled = store.recall(message="Should the new queue use Redis?")
    assert [d.decision for d in recalled] == ["Use Redis streams for the job queue", "Cache sessions in Redis"]
    assert "Use Redis streams" in store.build_context(recalled)
    assert store.recall(message="") == []


def test_process_logs_a_decision(repo: MemoryRepo, fake_llm: FakeLLM, model: Any) -> None:
    store = DecisionLogConfig(mode="always").build(repo)
    fake_llm.enqueue_tool_calls([("log_decision", {"decision": "Recommend Hugo over Jekyll", "reasoning": "Speed",
                                                   "alternatives": ["Jekyll"], "confidence": 0.7})])
    fake_llm.enqueue_text("Logged.")
    process(store, repo, model, turn("Hugo or Jekyll for my blog?", "Hugo: it builds much faster."))
    assert "Routine answers are not decisions" in system_prompt(fake_llm)
    [record] = repo.list("decision")
    assert isinstance(record, DecisionRecord) and record.decision == "Recommend Hugo over Jekyll"
