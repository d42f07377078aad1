"""User-memory recall ranks a user's memories by meaning when the repository has a semantic index."""

from __future__ import annotations

import pytest

from learning_fs.format import Item, MemoriesRecord
from learning_fs.index.search_index import SearchIndex
from learning_fs.machine import LearningMachine
from learning_fs.repo import MemoryRepo
from learning_fs.search.semantic import IndexSearcher
from learning_fs.stores import UserMemoryConfig
from tests.index_sync.conftest import OpenIndex

FILLER = [
    "Works on the billing data pipeline.",
    "Prefers short answers with a code sample first.",
    "Is migrating the team from cron jobs to Airflow.",
    "Reviews pull requests in the morning.",
    "Uses PostgreSQL for the invoices warehouse.",
    "Keeps meeting notes in Markdown.",
]


def _memories(user: str, texts: list[str]) -> MemoriesRecord:
    return MemoriesRecord(user=user, memories=[Item(id=f"m-{i:02d}", text=t) for i, t in enumerate(texts)])


def test_the_memory_about_the_question_comes_first_even_without_shared_words(
    repo: MemoryRepo, open_index: OpenIndex
) -> None:
    # The oldest line, sharing no word with the question: words and recency alone would leave it out.
    repo.write(_memories("alice", ["Plays the cello in an amateur orchestra on weekends.", *FILLER]))
    open_index().close()  # the repository now has an index: the machine ranks memories through it
    machine = LearningMachine(repo, user_memory=UserMemoryConfig(max_memories=2))
    try:
        assert isinstance(machine.searcher, IndexSearcher)
        recalled = machine.recall(user_id="alice", message="what musical hobby does she have")["user_memory"]
        assert recalled[0].text.startswith("Plays the cello")
        assert len(recalled) == 2  # the rest of the slots go to the newest memories
    finally:
        machine.close()

    with LearningMachine(repo, user_memory=UserMemoryConfig(max_memories=2), searcher="lexical") as lexical:
        words_only = lexical.recall(user_id="alice", message="what musical hobby does she have")["user_memory"]
        assert not any(m.text.startswith("Plays the cello") for m in words_only)


def test_ranking_by_meaning_never_reaches_another_users_memories(repo: MemoryRepo, open_index: OpenIndex) -> None:
    repo.write(_memories("alice", ["Plays the cello on weekends.", *FILLER]))
    repo.write(_memories("bob", ["Plays the violin in a string quartet.", "Likes long answers."]))
    open_index().close()
    with LearningMachine(repo, user_memory=UserMemoryConfig(max_memories=5)) as machine:
        context = machine.build_context(user_id="bob", message="which instrument do they play")
    assert "violin" in context and "cello" not in context


def test_memories_that_all_fit_are_recalled_without_a_search(
    repo: MemoryRepo, open_index: OpenIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No ranking can change which memories the context holds when every one fits whole."""
    repo.write(_memories("alice", ["Plays the cello on weekends.", *FILLER]))
    open_index().close()
    asked: list[object] = []
    real = SearchIndex._search
    monkeypatch.setattr(SearchIndex, "_search", lambda self, *args: asked.append(args[2]) or real(self, *args))
    with LearningMachine(repo, user_memory=UserMemoryConfig(max_memories=20)) as machine:
        recalled = machine.recall(user_id="alice", message="what musical hobby does she have")["user_memory"]
        assert {m.text for m in recalled} == {"Plays the cello on weekends.", *FILLER}
        assert {"memories"} not in asked
    with LearningMachine(repo, user_memory=UserMemoryConfig(max_memories=3)) as machine:  # some must be left out
        recalled = machine.recall(user_id="alice", message="what musical hobby does she have")["user_memory"]
        assert recalled[0].text.startswith("Plays the cello") and len(recalled) == 3
        assert {"memories"} in asked
