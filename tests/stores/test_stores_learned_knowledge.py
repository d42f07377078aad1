"""Learned knowledge: save and search learnings, recall before answering, a sceptical extractor."""

from __future__ import annotations

from typing import Any

from learning_fs.format.records import LearningRecord
from learning_fs.repo import MemoryRepo
from learning_fs.stores import LearnedKnowledgeConfig
from tests.fakellm import FakeLLM
from tests.stores.conftest import commit_count, process, system_prompt, tool_names, tools, turn


def test_save_then_search_and_recall(repo: MemoryRepo) -> None:
    store = LearnedKnowledgeConfig().build(repo)
    t = tools(store, repo)
    assert list(t) == ["search_learnings", "save_learning"]
    saved = t["save_learning"]("Use uv for Python installs", "uv installs packages far faster than pip.",
                               "CI images", ["python", "ci"])
    assert saved.startswith("Saved learning lrn-")
    t["save_learning"]("Pin Docker base images", "Pin images by digest so builds are reproducible.")
    assert "Use uv for Python installs" in t["search_learnings"]("install python packages faster")
    assert t["search_learnings"]("knitting patterns") == "No matching learnings."
    [best, *_] = store.recall(message="How do I install Python packages quickly in CI?")
    assert isinstance(best, LearningRecord) and best.title == "Use uv for Python installs"
    context = store.build_context([best])
    assert context == "- Use uv for Python installs: uv installs packages far faster than pip. (when: CI images)"


def test_saving_the_same_title_updates_instead_of_duplicating(repo: MemoryRepo) -> None:
    store = LearnedKnowledgeConfig().build(repo)
    t = tools(store, repo)
    first = t["save_learning"]("Use uv", "uv is fast", tags=["python"])
    second = t["save_learning"]("use UV", "uv is fast and resolves reproducibly", tags=["packaging"])
    assert second.startswith("Updated learning") and first.split()[2] == second.split()[2]
    [record] = repo.list("learning")
    assert isinstance(record, LearningRecord)
    assert record.learning == "uv is fast and resolves reproducibly" and record.tags == ["packaging", "python"]


def test_extractor_is_told_most_turns_produce_nothing(repo: MemoryRepo, fake_llm: FakeLLM, model: Any) -> None:
    store = LearnedKnowledgeConfig(mode="always", rejected_examples=["Users like concise answers"]).build(repo)
    tools(LearnedKnowledgeConfig().build(repo), repo)["save_learning"](
        "Retry flaky pytest runs", "Use pytest-rerunfailures only for network tests.")
    fake_llm.enqueue_text("Nothing worth saving.")
    before = commit_count(repo)
    process(store, repo, model, turn("Why do my pytest runs fail randomly?", tool_result="3 flaky network tests"))
    prompt = system_prompt(fake_llm)
    assert "Most conversations produce nothing" in prompt
    assert "specific" in prompt and "actionable" in prompt and "generalizable" in prompt
    assert "Retry flaky pytest runs" in prompt  # the existing learning, to check before saving
    assert "Users like concise answers" in prompt  # rejected before: do not propose again
    assert tool_names(fake_llm) == ["search_learnings", "save_learning", "nothing_to_save"]
    assert commit_count(repo) == before


def test_process_saves_a_learning(repo: MemoryRepo, fake_llm: FakeLLM, model: Any) -> None:
    store = LearnedKnowledgeConfig(mode="always").build(repo)
    fake_llm.enqueue_tool_calls([("save_learning", {
        "title": "Set TZ in cron jobs", "learning": "Cron runs with UTC; set TZ explicitly.",
        "context": "Scheduling reports", "tags": ["cron"]})]).enqueue_text("Saved.")
    process(store, repo, model, turn("The report ran at the wrong hour", tool_result="TZ unset; cron used UTC"))
    [record] = repo.list("learning")
    assert isinstance(record, LearningRecord) and record.title == "Set TZ in cron jobs"
    assert record.source.store == "learned_knowledge" and record.namespace == "global"


def test_namespaces_keep_learnings_apart(repo: MemoryRepo) -> None:
    team = LearnedKnowledgeConfig(namespace="support").build(repo)
    private = LearnedKnowledgeConfig(namespace="user").build(repo)
    tools(team, repo)["save_learning"]("Refund policy", "Refunds within 30 days need no approval.")
    tools(private, repo, user_id="alice")["save_learning"]("Alice's shortcut", "Alice's refund macro is F7.")
    assert [r.title for r in team.recall(message="refund approval")] == ["Refund policy"]
    assert LearnedKnowledgeConfig(namespace="sales").build(repo).recall(message="refund approval") == []
    assert [r.title for r in private.recall(user_id="alice", message="refund macro")] == ["Alice's shortcut"]
    assert private.recall(user_id="bob", message="refund macro") == []
    assert tools(private, repo, user_id="bob")["search_learnings"]("refund macro") == "No matching learnings."
    # the machine's namespace applies when the config names none
    assert LearnedKnowledgeConfig().build(repo).recall(message="refund approval", namespace="support")


def test_propose_mode_extracts_onto_a_proposal_branch(repo: MemoryRepo, fake_llm: FakeLLM, model: Any) -> None:
    store = LearnedKnowledgeConfig(mode="propose").build(repo)
    assert store.extracts and list(tools(store, repo)) == ["search_learnings"]
    fake_llm.enqueue_tool_calls([("save_learning", {"title": "Vacuum after bulk deletes",
                                                    "learning": "Run VACUUM ANALYZE after deleting >10% of rows."})])
    fake_llm.enqueue_text("Proposed.")
    before = commit_count(repo)
    process(store, repo, model, turn("Postgres got slow after the purge", tool_result="bloat 40%",
                                     answer="Bloat: run VACUUM ANALYZE after bulk deletes of >10% of rows."))
    assert commit_count(repo) == before and list(repo.list("learning")) == []  # main untouched
    proposal = repo.as_of("refs/heads/proposals/learning/vacuum-after-bulk-deletes")
    [record] = proposal.list("learning")
    assert isinstance(record, LearningRecord) and record.title == "Vacuum after bulk deletes"
