"""``ops.write_transaction``: the one door every commit above the repository goes through.

The CLI, the demo, MCP, a store's writer, the curator, self-improvement, review, ``init`` and the
example build their commits through it, so the trailers and body of a commit are assembled in
one place. The last test keeps it that way: no module outside ``repo/`` and ``ops/`` opens a
``repo.transaction`` of its own.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pygit2
import pytest

from learning_fs import MemoryRepo, ops
from learning_fs.repo import trailers as names
from learning_fs.repo.history import parse_trailers

PACKAGE = Path(__file__).resolve().parents[2] / "learning_fs"


@pytest.fixture
def repo(tmp_path: Path):
    with MemoryRepo.init(tmp_path / "mem") as repo:
        yield repo


def _message(repo: MemoryRepo, ref: str) -> str:
    git = pygit2.Repository(str(repo.root))
    return git.revparse_single(ref).peel(pygit2.Commit).message


def test_origin_trailers_extra_trailers_proposal_and_body_in_one_order(repo):
    origin = ops.Origin(store="curator", mode="propose", user="alice", quote="Prefers tea.", reasoning="Said so.")
    with ops.write_transaction(repo, "Curate alice", origin, branch="proposals/curate/alice", proposal="curate/alice",
                               trailers={names.FEEDBACK: "fb-1, fb-2"}, body="- merged 2 memories") as tx:
        ops.add_memory(tx, "alice", "Prefers tea.", origin)
    assert tx.commit is not None
    message = _message(repo, "refs/heads/proposals/curate/alice")
    found = parse_trailers(message)
    assert {k: found[k] for k in (names.STORE, names.MODE, names.USER, names.FEEDBACK, names.PROPOSAL)} == {
        names.STORE: "curator", names.MODE: "propose", names.USER: "alice", names.FEEDBACK: "fb-1, fb-2",
        names.PROPOSAL: "curate/alice"}
    paragraphs = message.split("\n\n")
    assert paragraphs[0] == "Curate alice" and paragraphs[1] == "- merged 2 memories"
    assert paragraphs[2].startswith("Said:\n> Prefers tea.") and paragraphs[3] == "Why: Said so."
    assert not list(repo.list("memories"))  # the checked-out branch is untouched
    assert ops.Origin.from_commit_message(message).quote == "Prefers tea."


def test_a_person_commit_has_their_name_and_no_origin_trailers(repo):
    with ops.write_transaction(repo, "Note by hand", None, author=("Dana Person", "dana@example.org")) as tx:
        tx.write_bytes("notes/dana.md", b"# Dana\n")
    assert tx.commit is not None
    git = pygit2.Repository(str(repo.root))
    commit = git.revparse_single("HEAD").peel(pygit2.Commit)
    assert (commit.author.name, commit.author.email) == ("Dana Person", "dana@example.org")
    assert not set(parse_trailers(commit.message)) & set(names.ORIGIN_KEYS)


def _own_transactions(path: Path) -> list[int]:
    """Lines of ``path`` that call ``<…repo>.transaction(…)`` (a commit built outside the door)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "transaction":
            owner = node.func.value
            name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", "")
            if "repo" in name.casefold():
                found.append(node.lineno)
    return found


def test_no_module_above_ops_opens_a_repository_transaction_of_its_own():
    offenders = {}
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE).as_posix()
        if relative.startswith(("repo/", "ops/")):
            continue
        lines = _own_transactions(path)
        if lines:
            offenders[relative] = lines
    assert offenders == {}, "commit through learning_fs.ops.write_transaction, not repo.transaction"
    assert _own_transactions(PACKAGE / "ops" / "origin.py")  # the check itself finds a call where there is one
