"""A memory repository with a KNOWN history, written through the real library, dated on a story clock.

Three weeks from Monday 2025-01-06 09:00 UTC (commit by commit, what the tests count):

week 1 (2025-01-06)
  d0 09:00  init                                   library  (learning_fs.yaml, .gitignore: no records)
  d0 10:00  add learning "Use uv in CI" (global)   library  +1 learning            alice
  d0 11:00  add alice's memories (2 items)         library  +1 memories            alice
  d1 10:00  add bob's memories (1 item)            library  +1 memories            bob
  d2 10:00  add alice's profile (name, role)       library  +1 profile             alice
  d3 10:00  add entity Acme Corp (1 fact)          library  +1 entity              alice
week 2 (2025-01-13)
  d7 10:00  supersede Acme's fact                  library  update (1 supersede)   alice
  d8 10:00  Dana edits "Use uv in CI" by hand      human    update
  d9 10:00  bob proposes "Pin tool versions"       proposal branch (not on main yet)
  d9 11:00  bob proposes "Always use tabs"         proposal branch
  d9 12:00  bob proposes "Cache wheels"            proposal branch (stays open)
  d10 10:00 add a memory to bob's file             library  update
  d11 10:00 approve "Pin tool versions"            merge commit: +1 learning (global)
  d11 11:00 reject "Always use tabs"               library  (a file under reviews/rejected/)
week 3 (2025-01-20)
  d14 10:00 delete "Use uv in CI"                  library  -1 learning
  d15 10:00 alice says a duplicate memory          library  update (1 item, a duplicate)
  d15 11:00 bob: a memory that turns out wrong     library  update (1 item)
  d16 10:00 bob's wrong memory removed             library  update (1 item deleted: junk)
  d16 12:00 curation: alice's duplicate merged     library  update (1 merge)
  d17 10:00 rename "Pin tool versions" → team ns   library  rename: global -1, team-data +1
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from learning_fs import ops
from learning_fs.example.clock import StoryClock, StoryRepo, story_time
from learning_fs.format.layout import record_path
from learning_fs.format.records import LearningRecord, MemoriesRecord, ProfileRecord

START = dt.datetime(2025, 1, 6, 9, 0, tzinfo=dt.timezone.utc)
DANA = ("Dana Reviewer", "dana@example.com")


@dataclass
class Known:
    root: Path
    shas: dict[str, str]  # step name -> commit sha


def _origin(clock: StoryClock, user: str, store: str) -> ops.Origin:
    return ops.Origin(store=store, mode="agentic", user=user, session=f"{user}-s1", agent="test-agent",
                      at=clock.now)


def build_known(root: Path) -> Known:
    from learning_fs.curate.curator import Curator
    from learning_fs.curate.policy import CurationPolicy
    from learning_fs.review import approve, propose_learning, reject

    clock = StoryClock(START)
    shas: dict[str, str] = {}
    with story_time(clock, seed=1):
        repo = StoryRepo.init(root, clock=clock)
        try:
            def at(day: int, hour: int) -> None:
                clock.set(day, hour)

            def commit(name: str, message: str, origin: ops.Origin, action: object) -> None:
                with ops.write_transaction(repo, message, origin) as tx:
                    action(tx)  # type: ignore[operator]
                assert tx.commit is not None, name
                shas[name] = tx.commit.sha

            at(0, 10)
            alice = _origin(clock, "alice", "learned_knowledge")
            commit("learning", "Learn: Use uv in CI", alice,
                   lambda tx: ops.add_learning(tx, "Use uv in CI", "Install packages with uv in CI jobs.", alice))
            at(0, 11)
            alice = _origin(clock, "alice", "user_memory")
            commit("alice-memories", "Remember about alice", alice, lambda tx: (
                ops.add_memory(tx, "alice", "Prefers short answers.", alice),
                ops.add_memory(tx, "alice", "Works on billing.", alice)))
            at(1, 10)
            bob = _origin(clock, "bob", "user_memory")
            commit("bob-memories", "Remember about bob", bob,
                   lambda tx: ops.add_memory(tx, "bob", "Likes tea.", bob))
            at(2, 10)
            alice = _origin(clock, "alice", "user_profile")
            profile = ProfileRecord(user="alice", fields={"name": "Alice Martin", "role": "data engineer"},
                                    source=alice.provenance(), created=alice.timestamp())
            commit("profile", "Update profile of alice", alice, lambda tx: ops.save(tx, profile, alice))
            at(3, 10)
            alice = _origin(clock, "alice", "entity_memory")
            commit("entity", "Learn about Acme Corp", alice,
                   lambda tx: ops.add_fact(tx, "Acme Corp", "database: PostgreSQL 15", alice))
            at(7, 10)
            alice = _origin(clock, "alice", "entity_memory")
            commit("supersede", "Acme Corp: PostgreSQL 16", alice, lambda tx: ops.replace_fact(
                tx, "Acme Corp", "database: PostgreSQL 15", "database: PostgreSQL 16", alice))
            at(8, 10)
            path = record_path(LearningRecord(title="Use uv in CI"))
            with repo.transaction("Add a note", author=DANA) as tx:
                tx.write_bytes(path, tx.read_bytes(path) + b"\n## Notes\nAlso cache the uv folder.\n")  # type: ignore[operator]
            shas["hand-edit"] = tx.commit.sha  # type: ignore[union-attr]
            for hour, title in ((10, "Pin tool versions"), (11, "Always use tabs"), (12, "Cache wheels")):
                at(9, hour)
                result = propose_learning(repo, title, f"{title}, always.", user="bob", session="bob-s2",
                                          store="learned_knowledge")
                shas[f"proposal:{title}"] = result.commit  # type: ignore[assignment]
            at(10, 10)
            bob = _origin(clock, "bob", "user_memory")
            commit("bob-update", "Remember about bob", bob, lambda tx: ops.add_memory(tx, "bob", "Uses vim.", bob))
            at(11, 10)
            shas["approve"] = approve(repo, "learning/pin-tool-versions", by="Dana Reviewer <dana@example.com>").commit
            at(11, 11)
            reject(repo, "learning/always-use-tabs", "Tabs are not our style", by="Dana Reviewer <dana@example.com>")
            at(14, 10)
            info = repo.delete(path, message="Forget: Use uv in CI",
                               trailers={"Learning-Store": "cli", "Learning-Mode": "manual"})
            shas["delete"] = info.sha  # type: ignore[union-attr]
            at(15, 10)
            alice = _origin(clock, "alice", "user_memory")
            commit("duplicate", "Remember about alice", alice,
                   lambda tx: ops.add_memory(tx, "alice", "prefers SHORT answers", alice))
            at(15, 11)
            bob = _origin(clock, "bob", "user_memory")
            commit("wrong", "Remember about bob", bob, lambda tx: ops.add_memory(tx, "bob", "Writes Java.", bob))
            at(16, 10)
            bob = _origin(clock, "bob", "user_memory")
            commit("forget", "Forget about bob: Writes Java.", bob, lambda tx: _forget(tx, "bob", "Writes Java."))
            at(16, 12)
            policy = CurationPolicy(near_duplicates=False, budget=False)
            result = Curator(repo, policy=policy, clock=clock.timestamp).run()
            shas["curation"] = result.commit.sha  # type: ignore[union-attr]
            at(17, 10)
            pinned = repo.read(record_path(LearningRecord(title="Pin tool versions")))
            moved_from = pinned.path
            pinned.namespace = "team-data"
            with repo.transaction("Move Pin tool versions to team-data",
                                  trailers={"Learning-Store": "cli", "Learning-Mode": "manual"}) as tx:
                tx.delete(moved_from)  # type: ignore[arg-type]
                tx.write(pinned, path=record_path(pinned))
            shas["rename"] = tx.commit.sha  # type: ignore[union-attr]
            repo.flush()
        finally:
            repo.close()
    return Known(root, shas)


def _forget(tx: object, user: str, text: str) -> None:
    path = record_path(MemoriesRecord(user=user))
    record = tx.read(path)  # type: ignore[attr-defined]
    record.memories = [m for m in record.memories if m.text != text]
    tx.write(record, path=path)  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def known_repo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Known]:
    """Built once per test session (the tests only read it), with git's own config shut out."""
    folder = tmp_path_factory.mktemp("known")
    (folder / "gitconfig").write_text("")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GIT_CONFIG_GLOBAL", str(folder / "gitconfig"))
        patch.setenv("GIT_CONFIG_NOSYSTEM", "1")
        yield build_known(folder / "memory")
