"""Recall ahead: a turn's searching stores search side by side, and the context is what it was.

With the semantic index, ``LearningMachine`` starts the recall of every store whose recall only
reads (``RECALL_AHEAD``) on worker threads before its ordered, budgeted pass, and the index
answers the second asking of each search from the first. What a user relies on: the context
is exactly the one-store-at-a-time context, each search runs once per turn, a store that did
not opt in is recalled once, and a store that fails is reported once, by the ordered pass.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest

from learning_fs.format import DecisionRecord, EntityRecord, Item, LearningRecord, MemoriesRecord
from learning_fs.index.search_index import SearchIndex
from learning_fs.machine import LearningMachine
from learning_fs.repo import MemoryRepo
from learning_fs.search.semantic import IndexSearcher
from learning_fs.stores import DecisionLogConfig, EntityMemoryConfig, LearnedKnowledgeConfig, UserMemoryConfig
from tests.index_sync.conftest import OpenIndex

QUESTIONS = ["why did the billing export fail on Friday", "which database does the invoices service use",
             "what instrument does she play", "should we move the cron jobs to Airflow"]


def _fill(repo: MemoryRepo) -> None:
    repo.write(MemoriesRecord(user="alice", memories=[
        Item(id="m-01", text="Plays the cello in an amateur orchestra."),
        Item(id="m-02", text="Owns the billing export job."),
        Item(id="m-03", text="Prefers answers with a code sample first."),
    ]))
    repo.write(MemoriesRecord(user="bob", memories=[Item(id="m-01", text="Bob's locker code is 4711.")]))
    for n, (title, text) in enumerate([
        ("Export retries", "The billing export fails on Fridays when the invoices table is locked; retry after 6pm."),
        ("Invoices database", "The invoices service runs on PostgreSQL 15 with a read replica."),
        ("Airflow", "Cron jobs that need retries belong in Airflow, not cron."),
    ]):
        repo.write(LearningRecord(id=f"lrn-{n}", title=title, learning=text))
    repo.write(EntityRecord(id="ent-inv", name="Invoices service", entity_type="project",
                            description="Bills customers monthly", facts=[Item(id="f-1", text="uses PostgreSQL 15")]))
    repo.write(DecisionRecord(id="dec-af", title="Move cron to Airflow", decision="Move the cron jobs to Airflow",
                              reasoning="retries and alerting"))


def _machine(repo: MemoryRepo, searcher: Any) -> LearningMachine:
    return LearningMachine(repo, user_profile=True, user_memory=UserMemoryConfig(), session_context=True,
                           entity_memory=EntityMemoryConfig(), learned_knowledge=LearnedKnowledgeConfig(),
                           decision_log=DecisionLogConfig(), searcher=searcher, track_recalls=False)


class InOrder(IndexSearcher):
    """The same index, without recall ahead: every store recalled once, in order."""

    shares_turn = False


def test_recall_ahead_gives_the_one_store_at_a_time_context(
    repo: MemoryRepo, open_index: OpenIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fill(repo)
    index = open_index()
    searches: list[tuple[str, str]] = []
    real = SearchIndex._search

    def counted(self: SearchIndex, query: str, *args: Any) -> Any:
        searches.append((query, repr(args)))
        return real(self, query, *args)

    monkeypatch.setattr(SearchIndex, "_search", counted)
    ahead, in_order = _machine(repo, IndexSearcher(index)), _machine(repo, InOrder(index))
    try:
        for question in QUESTIONS:
            for user in ("alice", "bob"):
                searches.clear()
                got = ahead.build_context(user_id=user, session_id="s1", message=question)
                assert len(searches) == len(set(searches)) == 4  # memories, entities, learnings, decisions: once each
                assert got == in_order.build_context(user_id=user, session_id="s1", message=question)
                assert ("4711" in got) == (user == "bob")  # each user's memories, and only theirs
        assert "Friday" in ahead.build_context(user_id="alice", session_id="s1", message=QUESTIONS[0])
    finally:
        ahead.close()
        in_order.close()


class Counting:
    """A custom store that did not opt in to recall ahead (its recall might write)."""

    learning_type = "counting"

    def __init__(self) -> None:
        self.calls = 0

    def process(self, messages: list[dict[str, Any]], **_: Any) -> None:
        return None

    def get_tools(self, **_: Any) -> list[Any]:
        return []

    def recall(self, message: str | None = None, **_: Any) -> str:
        self.calls += 1
        return f"seen: {message}"

    def build_context(self, data: str) -> str:
        return data


def test_a_store_that_did_not_opt_in_is_recalled_once_and_failures_are_reported_once(
    repo: MemoryRepo, open_index: OpenIndex, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    _fill(repo)
    counting = Counting()
    machine = LearningMachine(repo, user_memory=UserMemoryConfig(), learned_knowledge=LearnedKnowledgeConfig(),
                              custom_stores={"counting": counting}, searcher=IndexSearcher(open_index()),
                              track_recalls=False)
    try:
        context = machine.build_context(user_id="alice", message=QUESTIONS[1])
        assert counting.calls == 1 and "seen: which database" in context and "PostgreSQL" in context

        def broken(*_: Any, **__: Any) -> Any:
            raise RuntimeError("learnings unreadable")

        monkeypatch.setattr(machine._slot("learned_knowledge").store, "recall", broken)
        with caplog.at_level(logging.DEBUG, logger="learning_fs"):
            context = machine.build_context(user_id="alice", message=QUESTIONS[2])
        assert "cello" in context  # the other stores still answer
        failures = [r for r in caplog.records if r.levelno >= logging.ERROR and "learned_knowledge" in r.getMessage()]
        assert len(failures) == 1
    finally:
        machine.close()
