"""Moving a branch to another branch's work: fast-forward, or a real merge commit (``MemoryRepo.advance``).

Proposals are branches; approving one brings its commits into the checked-out branch. When the
branch has not moved since the proposal forked, its tip simply moves forward (``git update-ref``
with the old value: a compare-and-swap that fails if a person's git moved it meanwhile). When
it has, a merge commit with both tips as parents records the approval, its tree built in memory,
so a conflict is found before anything is written: record files changed on both sides merge as
records (:func:`learning_fs.format.merge.merge_records`: two proposals that each add a fact to one
entity never conflict), every other file with libgit2's three-way merge. Either way the
repository's usual post-commit path updates the checkout, ``.git/index`` and listeners.
"""

from __future__ import annotations

import subprocess
from typing import TYPE_CHECKING

import pygit2

from learning_fs.errors import ConflictError, RecordParseError
from learning_fs.format.layout import kind_from_path
from learning_fs.format.merge import merge_records
from learning_fs.format.records import Record
from learning_fs.repo import gitindex, history, trees
from learning_fs.repo.history import CommitInfo
from learning_fs.repo.transaction import CommitEvent

if TYPE_CHECKING:
    from learning_fs.repo.memory_repo import MemoryRepo


def advance_locked(repo: MemoryRepo, branch: str, commit: str, expected_tip: str | None, message: str | None,
                   body: str, trailers: dict[str, str] | None,
                   fast_forward: bool = True) -> tuple[CommitInfo, CommitEvent] | None:
    """:meth:`MemoryRepo.advance` under the write lock (the caller holds it and publishes the event)."""
    ref = f"refs/heads/{branch}"
    git = repo.git
    if branch == repo._checked_out():  # a person's running `git commit` finishes first (bounded: PersonGate)
        gate = gitindex.PersonGate(repo.git_dir, repo.root)
        if not gate.clear():
            gate.wait()
    with repo._git_lock:
        tip = repo._tip(branch)
        if expected_tip is not None and (tip is None or tip.id != repo.resolve(expected_tip).id):
            now = tip.short_id if tip is not None else "nothing"
            raise ConflictError(f"{branch} moved since it was read (it is now at {now}); look again")
        theirs = repo.resolve(commit)
        if tip is not None and (tip.id == theirs.id or git.descendant_of(tip.id, theirs.id)):
            return None
        checked_out = branch == repo._checked_out()
        if tip is None or (fast_forward and git.descendant_of(theirs.id, tip.id)):
            _move_ref(repo, ref, theirs.id, tip)
            oid, author, full = theirs.id, theirs.author, theirs.message
        else:
            tree, paths = merge_trees(git, tip, theirs)
            if tree is None:
                raise ConflictError(f"{theirs.short_id} conflicts with {branch} in: " + ", ".join(paths), paths)
            author, committer = repo._signature(None, None)
            full = history.format_message(message or f"Merge {theirs.short_id} into {branch}", body, trailers)
            # create_commit with the ref name is libgit2's compare-and-swap on parents[0].
            oid = git.create_commit(ref, author, committer, full, tree, [tip.id, theirs.id])
        base = tip.tree if tip is not None else None
        changed = trees.changed_paths(git, base, git[oid].peel(pygit2.Commit).tree)
        changes = {p: (git[o].data if o is not None else None) for p, o in changed.items()}  # type: ignore[attr-defined]
        records = {p: _record_or_none(repo, p, d) for p, d in changes.items()}
    return repo._landed(branch, oid, base, changes, records, checked_out, full, author)


def merge_trees(git: pygit2.Repository, ours: pygit2.Commit,
                theirs: pygit2.Commit) -> tuple[pygit2.Oid | None, list[str]]:
    """The merged tree of two commits, or None and the files that truly conflict.

    Like ``git merge`` with the record merge driver installed: every record file both sides
    changed since their merge base goes through :func:`merge_records` (a clean result replaces
    libgit2's verdict, clean or not; a conflicting one is reported, never committed with its
    conflict section), everything else keeps libgit2's textual result.
    """
    index = git.merge_commits(ours, theirs)
    found = git.merge_base(ours.id, theirs.id)
    base = git[found].peel(pygit2.Commit).tree if found is not None else None
    ours_changed = trees.changed_paths(git, base, ours.tree)
    theirs_changed = trees.changed_paths(git, base, theirs.tree)
    conflicted = {e.path for c in index.conflicts for e in c if e is not None} if index.conflicts is not None else set()
    for path in sorted(set(ours_changed) & set(theirs_changed)):
        o, t = ours_changed[path], theirs_changed[path]
        if kind_from_path(path) is None or o is None or t is None or o == t:
            continue  # not a record, or a deletion (libgit2 decides), or the same change on both sides
        b = trees.blob_id_at(base, path)
        result = merge_records(_text(git, b) if b is not None else None, _text(git, o), _text(git, t), path)
        if not result.clean:
            conflicted.add(path)
            continue
        if path in conflicted:
            del index.conflicts[path]
            conflicted.discard(path)
        index.add(pygit2.IndexEntry(path, git.create_blob(result.text.encode("utf-8")), pygit2.enums.FileMode.BLOB))
    return (None, sorted(conflicted)) if conflicted else (index.write_tree(git), [])


def _text(git: pygit2.Repository, oid: pygit2.Oid) -> str:
    blob = git[oid]
    assert isinstance(blob, pygit2.Blob)
    text: str = blob.data.decode("utf-8", errors="replace")
    return text


def _move_ref(repo: MemoryRepo, ref: str, new: pygit2.Oid, old: pygit2.Commit | None) -> None:
    """Point ``ref`` at ``new`` only if it still points at ``old`` (git update-ref's compare-and-swap)."""
    expected = str(old.id) if old is not None else "0" * 40
    result = subprocess.run(["git", "update-ref", "-m", "learning-fs: fast-forward", ref, str(new), expected],
                            cwd=repo.root, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise ConflictError(f"{ref.removeprefix('refs/heads/')} moved while it was being updated: "
                            f"{result.stderr.strip()}")


def _record_or_none(repo: MemoryRepo, path: str, data: bytes | None) -> Record | None:
    """The record a merged file holds, for listeners (None: deleted, not a record, or unreadable)."""
    if data is None or kind_from_path(path) is None:
        return None
    try:
        return repo._parse_blob(data, path)
    except RecordParseError:
        return None
