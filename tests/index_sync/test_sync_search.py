"""Searching through the CLI and the machine: filters, privacy, statuses, long records, JSON shape."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from click.testing import CliRunner, Result

from learning_fs.format import EntityRecord, Item, LearningRecord, MemoriesRecord
from learning_fs.machine import LearningMachine, LearningMode
from learning_fs.repo import MemoryRepo
from learning_fs.search.semantic import IndexSearcher
from learning_fs.stores import EntityMemoryConfig, LearnedKnowledgeConfig
from tests.index_sync.conftest import OpenIndex

Search = Callable[..., list[dict]]


@pytest.fixture
def search(repo: MemoryRepo) -> Search:
    """``search(query, *options)``: ``learning-fs --repo R search QUERY OPTIONS --json``, parsed."""
    runner = CliRunner()

    def run(query: str, *options: str) -> list[dict]:
        result: Result = runner.invoke(cli_group(), ["--repo", str(repo.root), "search", query, *options, "--json"],
                                       catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    return run


def cli_group():  # imported late: the CLI registers its commands at import
    from learning_fs.cli import cli

    return cli


@pytest.fixture
def people(repo: MemoryRepo) -> None:
    repo.write(MemoriesRecord(user="alice", memories=[Item(id="m-a", text="Alice keeps her diary in Finnish.")]))
    repo.write(MemoriesRecord(user="bob", memories=[Item(id="m-b", text="Bob keeps his diary in Welsh.")]))
    repo.write(LearningRecord(title="Diaries", learning="Offer to translate diary entries.", namespace="team-a"))


def test_search_json_lists_hits_with_path_id_and_score(search: Search, people: None) -> None:
    hits = search("diary translation")
    assert hits and all({"path", "id", "score", "kind", "snippet", "namespace"} <= set(hit) for hit in hits)
    assert hits[0]["path"].startswith("learnings/team-a/") and hits[0]["id"].startswith("lrn-")
    assert [hit["score"] for hit in hits] == sorted((hit["score"] for hit in hits), reverse=True)


def test_a_private_record_is_only_ever_returned_to_its_user_on_the_command_line(search: Search, people: None) -> None:
    def texts(*options: str) -> str:
        return " ".join(hit["snippet"] for hit in search("which language is the diary in", *options))

    assert "Finnish" not in texts() and "Welsh" not in texts()  # no user: nothing private
    assert "Finnish" in texts("--user", "alice") and "Welsh" not in texts("--user", "alice")
    assert "Welsh" in texts("--user", "bob") and "Finnish" not in texts("--user", "bob")
    assert "Finnish" not in texts("--namespace", "user")  # asking for the namespace is not being the user
    own = search("diary", "--namespace", "user", "--user", "alice")
    assert {hit["path"].split("/")[2] for hit in own} == {"alice"}
    assert {hit["namespace"] for hit in search("diary", "--namespace", "team-a", "--user", "alice")} == {"team-a"}


def test_superseded_facts_are_left_out_unless_all_is_asked(repo: MemoryRepo, search: Search) -> None:
    repo.write(EntityRecord(name="Acme Corp", facts=[
        Item(id="f-old", text="Runs MySQL for billing.", status="superseded", superseded_by="f-new"),
        Item(id="f-new", text="Runs PostgreSQL for billing."),
    ]))
    assert {hit["item_id"] for hit in search("billing database", "--kind", "entity")} == {"f-new", None}
    assert "f-old" in {hit["item_id"] for hit in search("billing database", "--kind", "entity", "--all")}


def test_an_expired_memory_is_left_out_even_if_it_expired_after_indexing(repo: MemoryRepo, search: Search) -> None:
    repo.write(MemoriesRecord(user="alice", memories=[
        Item(id="m-old", text="Is on holiday in Crete.", expires="2001-01-01"),
        Item(id="m-now", text="Is back from holiday."),
    ]))
    assert {hit["item_id"] for hit in search("holiday", "--user", "alice")} == {"m-now"}


def test_a_phrase_near_the_end_of_a_long_record_finds_it(repo: MemoryRepo, search: Search) -> None:
    """MiniLM reads 256 word pieces; the index chunks, so the tail of a long learning is searchable."""
    filler = " ".join(f"Routine maintenance note {i} about the warehouse shelves." for i in range(120))
    record = LearningRecord(title="Warehouse log", learning=filler + " Finally: the forklift battery overheats.")
    repo.write(record)
    repo.write(LearningRecord(title="Other", learning="Forklift drivers need a licence."))
    [hit] = search("battery overheating problem", "-k", "1", "--mode", "dense")
    assert hit["path"] == record.path and "forklift battery overheats" in hit["snippet"]


def test_the_machine_searches_through_the_index_and_keeps_private_learnings_private(
    repo: MemoryRepo, open_index: OpenIndex
) -> None:
    open_index().close()  # the repository now has an index: the machine uses it by default
    machine = LearningMachine(repo, learned_knowledge=LearnedKnowledgeConfig(mode=LearningMode.AGENTIC,
                                                                            namespace="user"),
                              entity_memory=EntityMemoryConfig(mode=LearningMode.AGENTIC, namespace="user"))
    try:
        assert isinstance(machine.searcher, IndexSearcher)
        alice = {tool.__name__: tool for tool in machine.get_tools(user_id="alice", session_id="s")}
        bob = {tool.__name__: tool for tool in machine.get_tools(user_id="bob", session_id="s")}
        alice["save_learning"](title="Deploy on Fridays", learning="Alice deploys billing on Fridays only.")
        alice["add_fact"](entity="Project Nightjar", fact="Launches in March.")
        assert "Fridays" in alice["search_learnings"](query="when to deploy billing")
        assert bob["search_learnings"](query="when to deploy billing") == "No matching learnings."
        assert "Nightjar" in alice["search_entities"](query="project launching in spring")
        assert bob["search_entities"](query="project launching in spring") == "No matching entities."
        assert "Fridays" not in machine.build_context(user_id="bob", message="deploy billing")
    finally:
        machine.close()


def test_the_machine_can_be_told_which_searcher_to_use(repo: MemoryRepo) -> None:
    with LearningMachine(repo, searcher="lexical") as machine:
        assert not isinstance(machine.searcher, IndexSearcher)
    with LearningMachine(repo) as machine:  # no index folder yet: the lexical searcher
        assert not isinstance(machine.searcher, IndexSearcher)
