"""One write path: the CLI and the agent's tools, given the same inputs, leave the same files.

Both go through the rules in ``learning_fs.ops`` (``put_memory``, ``put_fact``, ``put_event``,
``put_link``): the same dedup (a repeated memory, fact or event is not written twice), the same
supersede rule (``role: CTO`` after ``role: VP`` supersedes it) and the same edge on both ends.
Files are compared without what legitimately differs: ids, timestamps and who wrote them.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from learning_fs import ops
from learning_fs.format.layout import record_path
from learning_fs.format.records import EntityRecord, LearningRecord, MemoriesRecord, Record, parse_record
from learning_fs.ops import Origin, RecordWriter, add_fact, put_memory
from learning_fs.repo import MemoryRepo
from learning_fs.stores import (
    EntityMemoryConfig,
    EntityMemoryStore,
    LearnedKnowledgeConfig,
    LearnedKnowledgeStore,
    UserMemoryConfig,
    UserMemoryStore,
    UserProfileConfig,
    UserProfileStore,
)
from tests.cli.conftest import Invoke
from tests.stores.conftest import tools, writer

FACTS = ["role: VP of Sales", "Lives in Berlin", "role: CTO", "lives in  berlin", "role: CTO"]
EVENTS = [("2026-10-01", "Signed the renewal."), ("2026-09-01", "First call."), ("2026-10-01", "Signed the renewal.")]
MEMORIES = ["Prefers short answers.", "Works in Berlin.", "prefers  SHORT answers."]


def shape(record: Record) -> dict[str, Any]:
    """A record as a user relies on it: every item with its text, state and links; no ids or times."""
    if isinstance(record, MemoriesRecord):
        return {"user": record.user, "memories": [(m.text, m.status) for m in record.memories]}
    assert isinstance(record, EntityRecord)
    text_of = {item.id: item.text for item in record.facts}
    return {
        "name": record.name, "type": record.entity_type, "namespace": record.namespace,
        "facts": [(f.text, f.status, text_of.get(f.superseded_by or "")) for f in record.facts],
        "events": [(e.date, e.text) for e in record.events],
        "relationships": [(r.relation, r.target, r.text) for r in record.relationships],
    }


def files(repo: MemoryRepo) -> dict[str, dict[str, Any]]:
    return {record.path or "": shape(record) for kind in ("entity", "memories") for record in repo.list(kind)}


def test_cli_and_agent_tools_write_the_same_entities(tmp_path: Path, repo_dir: Path, lfs: Invoke) -> None:
    for fact in FACTS:
        assert lfs("add", "fact", "--entity", "Alice", fact).exit_code == 0
    for date, event in EVENTS:
        assert lfs("add", "event", "--entity", "Alice", "--date", date, event).exit_code == 0
    for _ in range(2):
        result = lfs("add", "relationship", "--entity", "Alice", "--relation", "works at", "--target", "Acme Corp",
                     "--note", "since 2024")
        assert result.exit_code == 0, result.output

    agent_repo = MemoryRepo.init(tmp_path / "agent")
    store = EntityMemoryStore(EntityMemoryConfig(mode="agentic"), agent_repo)
    bound = tools(store, agent_repo, user_id="alice")
    replies = [bound["add_fact"](entity="Alice", fact=fact) for fact in FACTS]
    replies += [bound["add_event"](entity="Alice", event=event, date=date) for date, event in EVENTS]
    replies += [bound["add_relationship"](entity="Alice", relation="works at", target="Acme Corp",
                                          description="since 2024") for _ in range(2)]
    assert not [reply for reply in replies if reply.startswith("Error")]

    cli_files = files(MemoryRepo(repo_dir))
    assert cli_files == files(agent_repo)
    alice = next(shape for shape in cli_files.values() if shape["name"] == "Alice")
    assert alice["facts"] == [("role: VP of Sales", "superseded", "role: CTO"), ("Lives in Berlin", "active", None),
                              ("role: CTO", "active", None)]
    assert alice["events"] == [("2026-09-01", "First call."), ("2026-10-01", "Signed the renewal.")]
    assert alice["relationships"] == [("works_at", "Acme Corp", "since 2024")]
    acme = next(shape for shape in cli_files.values() if shape["name"] == "Acme Corp")
    assert acme["relationships"] == [("employs", "Alice", "since 2024")]
    agent_repo.close()


def test_cli_and_agent_tools_write_the_same_memories(tmp_path: Path, repo_dir: Path, lfs: Invoke) -> None:
    for memory in MEMORIES:
        assert lfs("add", "memory", "--user", "alice", memory).exit_code == 0
    agent_repo = MemoryRepo.init(tmp_path / "agent")
    store = UserMemoryStore(UserMemoryConfig(mode="agentic"), agent_repo)
    bound = tools(store, agent_repo, user_id="alice")
    replies = [bound["add_memory"](memory=memory) for memory in MEMORIES]
    assert replies[2].startswith("Already remembered")

    assert files(MemoryRepo(repo_dir)) == files(agent_repo)
    [shape_of] = files(agent_repo).values()
    assert shape_of["memories"] == [("Prefers short answers.", "active"), ("Works in Berlin.", "active")]
    agent_repo.close()


def test_cli_and_agent_tools_save_learnings_by_the_same_rule(tmp_path: Path, repo_dir: Path, lfs: Invoke) -> None:
    """The same title updates the learning (text replaced, tags merged) on both paths."""
    for text, tag in (("Use uv in CI.", "ci"), ("Use uv in CI; pin it.", "python")):
        assert lfs("add", "learning", "--title", "Use uv", "--tag", tag, text).exit_code == 0
    agent_repo = MemoryRepo.init(tmp_path / "agent")
    store = LearnedKnowledgeStore(LearnedKnowledgeConfig(mode="agentic"), agent_repo)
    save = tools(store, agent_repo, user_id="alice")["save_learning"]
    assert save(title="Use uv", learning="Use uv in CI.", tags=["ci"]).startswith("Saved")
    assert save(title="Use uv", learning="Use uv in CI; pin it.", tags=["python"]).startswith("Updated")

    def learnings(repo: MemoryRepo) -> list[tuple[str, str, list[str]]]:
        return [(r.title, r.learning, r.tags) for r in repo.list("learning")]  # type: ignore[attr-defined]

    assert learnings(MemoryRepo(repo_dir)) == learnings(agent_repo) == [("Use uv", "Use uv in CI; pin it.",
                                                                         ["ci", "python"])]
    agent_repo.close()


def test_a_proposed_learning_follows_the_learning_rule_of_the_agents_propose_mode(tmp_path: Path, repo_dir: Path,
                                                                                  lfs: Invoke) -> None:
    """``propose learning`` and a PROPOSE-mode ``save_learning``: the same title updates, tags merge."""
    assert lfs("add", "learning", "--title", "Use uv", "--tag", "ci", "Use uv in CI.").exit_code == 0
    assert lfs("propose", "learning", "--title", "use UV", "--tag", "python", "Use uv in CI; pin it.").exit_code == 0

    agent_repo = MemoryRepo.init(tmp_path / "agent")
    with ops.write_transaction(agent_repo, "seed", Origin(store="test")) as tx:
        ops.add_learning(tx, "Use uv", "Use uv in CI.", Origin(store="test"), tags=["ci"])
    store = LearnedKnowledgeStore(LearnedKnowledgeConfig(mode="propose"), agent_repo)
    bound = store.write_tools(user_id="alice", writer=writer(agent_repo, store, "alice", "s1"), repo=agent_repo)
    save = next(tool for tool in bound if tool.__name__ == "save_learning")
    reply = save(title="use UV", learning="Use uv in CI; pin it.", tags=["python"])
    assert reply.startswith("Proposed an update of learning")

    def proposed(root: Path) -> list[tuple[str, str, list[str]]]:
        repo = MemoryRepo(root)
        branch = next(b for b in repo.git.branches.local if b.startswith("proposals/"))
        path = next(r.path for r in repo.list("learning"))
        record = parse_record(repo.git.revparse_single(f"{branch}:{path}").data.decode(), path or "")
        assert isinstance(record, LearningRecord)
        return [(record.title, record.learning, record.tags)]

    assert proposed(repo_dir) == proposed(agent_repo.root) == [("Use uv", "Use uv in CI; pin it.", ["ci", "python"])]
    agent_repo.close()


def _memory_ids(repo: MemoryRepo, user: str = "alice") -> list[str]:
    return [m.id for record in repo.list("memories") if record.user == user
            for m in record.memories]  # type: ignore[attr-defined]


def test_cli_and_agent_tools_correct_and_forget_memories_alike(tmp_path: Path, repo_dir: Path, lfs: Invoke) -> None:
    """``edit memory`` / ``update_memory`` and ``forget memory`` / ``delete_memory``: same file, same refusals."""
    for memory in MEMORIES[:2]:
        assert lfs("add", "memory", "--user", "alice", memory).exit_code == 0
    first, second = _memory_ids(MemoryRepo(repo_dir))
    assert lfs("edit", "memory", "--user", "alice", first, "Prefers  short answers, with code.").exit_code == 0
    unchanged = lfs("edit", "memory", "--user", "alice", first, "Prefers short answers, with code.")
    assert unchanged.exit_code == 0 and "no commit" in unchanged.output
    assert lfs("forget", "memory", "--user", "alice", second).exit_code == 0
    missing = lfs("forget", "memory", "--user", "alice", second)
    assert missing.exit_code == 1 and f"no memory with id {second!r}" in missing.output

    agent_repo = MemoryRepo.init(tmp_path / "agent")
    bound = tools(UserMemoryStore(UserMemoryConfig(mode="agentic"), agent_repo), agent_repo, user_id="alice")
    for memory in MEMORIES[:2]:
        bound["add_memory"](memory=memory)
    first, second = _memory_ids(agent_repo)
    assert bound["update_memory"](memory_id=first, memory="Prefers  short answers, with code.").startswith("Updated")
    assert bound["update_memory"](memory_id=first, memory="Prefers short answers, with code.") == "Unchanged."
    assert bound["delete_memory"](memory_id=second).startswith("Deleted")
    assert bound["delete_memory"](memory_id=second) == f"Error: no memory with id {second!r}."

    assert files(MemoryRepo(repo_dir)) == files(agent_repo)
    [shape_of] = files(agent_repo).values()
    assert shape_of["memories"] == [("Prefers short answers, with code.", "active")]
    agent_repo.close()


def test_cli_and_agent_tools_retire_facts_and_archive_entities_alike(tmp_path: Path, repo_dir: Path,
                                                                      lfs: Invoke) -> None:
    for fact in ("Has an office in Berlin.", "Berlin team: 12 people.", "Runs PostgreSQL 15."):
        assert lfs("add", "fact", "--entity", "Acme Corp", fact).exit_code == 0
    assert lfs("forget", "fact", "--entity", "Acme Corp", "berlin").exit_code == 0
    missing = lfs("forget", "fact", "--entity", "Acme Corp", "berlin")
    assert missing.exit_code == 1 and "Acme Corp has no active fact matching 'berlin'" in missing.output
    assert lfs("forget", "entity", "Acme Corp").exit_code == 0

    agent_repo = MemoryRepo.init(tmp_path / "agent")
    bound = tools(EntityMemoryStore(EntityMemoryConfig(mode="agentic"), agent_repo), agent_repo, user_id="alice")
    for fact in ("Has an office in Berlin.", "Berlin team: 12 people.", "Runs PostgreSQL 15."):
        bound["add_fact"](entity="Acme Corp", fact=fact)
    assert bound["forget"](entity="Acme Corp", fact="berlin").startswith("Retired 2 fact(s)")
    assert bound["forget"](entity="Acme Corp", fact="berlin") == \
        "Error: Acme Corp has no active fact matching 'berlin'."
    assert bound["forget"](entity="Acme Corp").startswith("Archived")

    def entities(repo: MemoryRepo) -> list[tuple[dict[str, Any], list[str]]]:
        return [(shape(record), record.tags) for record in repo.list("entity")]

    assert entities(MemoryRepo(repo_dir)) == entities(agent_repo)
    [(acme, tags)] = entities(agent_repo)
    assert [f[1] for f in acme["facts"]] == ["expired", "expired", "active"] and tags == ["archived"]
    agent_repo.close()


def test_cli_and_agent_tools_update_a_profile_alike(tmp_path: Path, repo_dir: Path, lfs: Invoke) -> None:
    assert lfs("edit", "profile", "--user", "alice", "--set", "name=Alice Martin", "--set",
               "preferred_name=Alice").exit_code == 0
    again = lfs("edit", "profile", "--user", "alice", "--set", "preferred_name=Alice")
    assert again.exit_code == 0 and "no commit" in again.output

    agent_repo = MemoryRepo.init(tmp_path / "agent")
    update = tools(UserProfileStore(UserProfileConfig(mode="agentic"), agent_repo), agent_repo,
                   user_id="alice")["update_user_profile"]
    assert update(name="Alice Martin", preferred_name="Alice").startswith("Updated profile")
    assert update(preferred_name="Alice") == "Profile already up to date."

    def fields(repo: MemoryRepo) -> list[dict[str, Any]]:
        return [record.fields for record in repo.list("profile")]  # type: ignore[attr-defined]

    assert fields(MemoryRepo(repo_dir)) == fields(agent_repo) == [
        {"name": "Alice Martin", "preferred_name": "Alice"}]
    agent_repo.close()


def test_mcp_corrects_and_forgets_like_the_cli_and_only_for_its_user(tmp_path: Path, repo_dir: Path,
                                                                      lfs: Invoke) -> None:
    from learning_fs.errors import LearningFSError
    from learning_fs.mcp import MemoryService

    assert lfs("add", "memory", "--user", "bob", "Bob's locker code is 4711.").exit_code == 0
    for memory in MEMORIES[:2]:
        assert lfs("add", "memory", "--user", "alice", memory).exit_code == 0
    for fact in ("Has an office in Berlin.", "Runs PostgreSQL 15."):
        assert lfs("add", "fact", "--entity", "Acme Corp", fact).exit_code == 0
    cli_repo = MemoryRepo(repo_dir)
    first, second = _memory_ids(cli_repo)
    assert lfs("edit", "memory", "--user", "alice", first, "Prefers short answers, with code.").exit_code == 0
    assert lfs("forget", "memory", "--user", "alice", second).exit_code == 0
    assert lfs("forget", "fact", "--entity", "Acme Corp", "berlin").exit_code == 0

    mcp_repo = MemoryRepo.init(tmp_path / "mcp")
    bob = MemoryService(mcp_repo, users=["bob"])
    bob.add_memory("Bob's locker code is 4711.")
    service = MemoryService(mcp_repo, users=["alice"])
    for memory in MEMORIES[:2]:
        service.add_memory(memory)
    for fact in ("Has an office in Berlin.", "Runs PostgreSQL 15."):
        service.add_fact("Acme Corp", fact)
    first, second = _memory_ids(mcp_repo)
    [bob_id] = _memory_ids(mcp_repo, "bob")
    assert service.update_memory(first, "Prefers short answers, with code.")["changed"] is True
    assert service.update_memory(first, "Prefers short answers, with code.")["commit"] is None
    assert service.forget_memory(second)["id"] == second
    assert service.forget_fact("Acme Corp", "berlin")["retired"]
    with pytest.raises(LearningFSError, match=f"no memory with id {bob_id!r}"):
        service.forget_memory(bob_id)  # another user's memory is not this server's to forget
    with pytest.raises(LearningFSError, match="does not act for user 'bob'"):
        service.forget_memory(bob_id, user_id="bob")

    assert files(cli_repo) == files(mcp_repo)
    assert any(m == ("Bob's locker code is 4711.", "active") for f in files(mcp_repo).values()
               for m in f.get("memories", []))
    service.close()
    bob.close()
    mcp_repo.close()


def test_a_custom_store_transaction_holds_the_lock_from_read_to_commit(repo: MemoryRepo) -> None:
    """``RecordWriter.transaction``: concurrent read-modify-writes of one file lose nothing."""
    writer = RecordWriter(repo, store="notes", mode="agentic", user_id="alice")
    target = record_path(MemoriesRecord(user="alice"))

    def remember(number: int) -> None:
        with writer.transaction(f"Remember {number}") as tx:
            record = tx.read(target) or MemoriesRecord(user="alice")
            assert isinstance(record, MemoriesRecord)
            put_memory(record, f"Memory number {number}.", writer.evidence())
            tx.write(record)
        assert tx.result is not None and tx.result.saved

    threads = [threading.Thread(target=remember, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    record = repo.read(target)
    assert isinstance(record, MemoriesRecord)
    assert sorted(m.text for m in record.memories) == sorted(f"Memory number {n}." for n in range(12))


def test_a_failed_transaction_writes_nothing(repo: MemoryRepo) -> None:
    writer = RecordWriter(repo, store="notes", mode="agentic", user_id="alice")
    before = repo.log()
    try:
        with writer.transaction("Half a change") as tx:
            add_fact(tx, "Bob", "role: engineer", Origin(store="notes", user="alice"))
            raise RuntimeError("the model failed")
    except RuntimeError:
        pass
    assert repo.log() == before and list(repo.list("entity")) == []


def test_the_writer_lands_exactly_the_non_proposing_modes() -> None:
    """``ops.writer`` sits below the stores, so it spells the modes; this keeps it in step."""
    from learning_fs.ops.writer import DIRECT_MODES
    from learning_fs.stores.protocol import PROPOSING_MODES, LearningMode

    assert {mode.value for mode in LearningMode if mode not in PROPOSING_MODES} == DIRECT_MODES
