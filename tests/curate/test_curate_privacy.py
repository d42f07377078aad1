"""Curation never crosses users or namespaces: curating Alice never reads Bob's folder, and a shared
namespace never absorbs a private record."""

from __future__ import annotations

from typing import Any

import pytest

from learning_fs.curate import scope
from learning_fs.format import LearningRecord, MemoriesRecord, record_path
from learning_fs.format.layout import user_folder
from learning_fs.repo import MemoryRepo
from tests.curate.conftest import MakeCurator
from tests.curate.helpers import git, learning, memories, memory


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every path the curator parses, in order."""
    seen: list[str] = []
    real = scope.parse_bytes

    def spy(data: bytes, path: str) -> Any:
        seen.append(path)
        return real(data, path)

    monkeypatch.setattr(scope, "parse_bytes", spy)
    return seen


def _two_users(repo: MemoryRepo) -> None:
    for user in ("alice", "bob"):
        repo.write(memories(user, memory(f"m-{user}-1", "Likes tea", 30), memory(f"m-{user}-2", "likes TEA", 3)))
        repo.write(learning(f"Note of {user}", "Use uv in CI.", 30, namespace="user", user=user))
    repo.write(learning("Shared", "Use uv in CI.", 30))


def test_curating_one_user_reads_and_writes_only_their_folder(repo: MemoryRepo, curator: MakeCurator,
                                                              parsed: list[str]) -> None:
    _two_users(repo)
    bob_before = git(repo, "ls-tree", "-r", "HEAD", "--", user_folder("bob"))

    result = curator().run(user="alice")

    assert parsed and all(path.startswith(user_folder("alice") + "/") for path in parsed)
    assert result.commit is not None
    changed = git(repo, "show", "--name-only", "--format=", "HEAD").split()
    assert changed == [record_path(MemoriesRecord(user="alice"))]
    assert git(repo, "ls-tree", "-r", "HEAD", "--", user_folder("bob")) == bob_before
    assert "Learning-User: alice" in result.commit.message


def test_a_shared_namespace_pass_reads_no_private_folder_and_merges_no_private_record(
        repo: MemoryRepo, curator: MakeCurator, parsed: list[str]) -> None:
    _two_users(repo)

    plan = curator().plan(namespace="global")

    assert parsed and not any(path.startswith("users/") for path in parsed)
    assert plan.empty


def test_a_whole_repository_run_keeps_every_user_and_namespace_apart(repo: MemoryRepo,
                                                                     curator: MakeCurator) -> None:
    _two_users(repo)  # the same learning text in Alice's, Bob's and the shared namespace

    result = curator().run()

    merges = [a for a in result.plan.actions if a.op == "merge"]
    assert sorted(a.ids for a in merges) == [("m-alice-1", "m-alice-2"), ("m-bob-1", "m-bob-2")]
    for action in merges:
        owner = action.ids[0].split("-")[1]
        assert all(path.startswith(user_folder(owner) + "/") for path in action.paths)
    assert len(list(repo.list("learning"))) == 3


def test_a_private_record_placed_in_a_shared_folder_is_left_alone(repo: MemoryRepo, curator: MakeCurator) -> None:
    shared = learning("Use uv", "Use uv in CI.", 30)
    repo.write(shared)
    smuggled = LearningRecord(title="Use uv", learning="Use uv in CI.", namespace="user", user="mallory")
    with repo.transaction("A hand edit puts a private record in a shared folder") as tx:
        tx.write_bytes((shared.path or "").replace("use-uv.md", "use-uv-x.md"), smuggled.to_markdown().encode())

    plan = curator().plan(namespace="global")

    assert plan.empty
    assert any("does not belong in learnings/global/" in line for line in plan.skipped)
