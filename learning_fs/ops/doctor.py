"""``learning-fs doctor repo``: what keeps a memory repository healthy, checked and (where safe) repaired.

A clone of someone else's repository, a crashed process or a person's git tooling can leave a
repository in a state the library copes with but a person should hear about: settings that do
not load, learning_fs's pre-commit hook or merge driver missing (so a person's commit or pull
can undo or conflict with library writes), symlinks the library refuses to follow, git lock
files a killed process left behind, and library writes whose ``.git/index`` sync is pending.
Each check says what it found and how to fix it; ``repair`` fixes what can be fixed without
touching anyone's data (it never deletes a symlink, never edits a record). The search index is
checked by the command itself (it lives above this layer).
"""

from __future__ import annotations

import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from learning_fs.errors import LearningFSError
from learning_fs.ops.validate import symlinks
from learning_fs.repo import MemoryRepo, gitindex, mergedriver
from learning_fs.repo.config import CONFIG_FILE, DERIVED_DIR, RepoConfig

#: A git lock file older than this, with no git process left to own it, was left by a crash.
STALE_LOCK_SECONDS = 600.0
_GIT_LOCKS = ("index.lock", "HEAD.lock", "packed-refs.lock", "config.lock", "shallow.lock")


@dataclass
class Check:
    """One finding: ``ok`` after any repair; ``repaired`` says a repair made it so."""

    name: str
    ok: bool
    detail: str
    repaired: bool = False

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def check_config(root: Path) -> Check:
    try:
        RepoConfig.load(root)
    except LearningFSError as exc:
        return Check("config", False, f"{exc} (edit {CONFIG_FILE}; nothing else can be trusted until it loads)")
    return Check("config", True, f"{CONFIG_FILE} loads" if (root / CONFIG_FILE).exists() else "defaults (no file)")


def check_hook(repo: MemoryRepo, repair: bool) -> Check:
    def installed() -> bool:
        hooks = repo.git_dir / "hooks"
        return any(gitindex.HOOK_MARKER in _read(hooks / name)
                   for name in ("pre-commit", "pre-commit.legacy", gitindex.CHAINED))

    if installed():
        return Check("pre-commit hook", True, "installed (a person's commit cannot undo a library write)")
    if repair and gitindex.install_hook(repo.git_dir) and installed():
        return Check("pre-commit hook", True, "installed it", repaired=True)
    return Check("pre-commit hook", False, "missing: a person's `git commit` right after a library write may undo "
                 "it; run `learning-fs doctor repo --repair` (or `learning-fs install-hooks`)")


def check_merge_driver(repo: MemoryRepo, repair: bool) -> Check:
    def routed() -> bool:
        committed = _read(repo.root / mergedriver.ATTRIBUTES_FILE)
        local = _read(repo.git_dir / mergedriver.LOCAL_ATTRIBUTES)
        return mergedriver.driver_configured(repo.git_dir) and (
            mergedriver.covers(committed) or mergedriver.covers(local))

    if routed():
        return Check("merge driver", True, "record files merge as records (git pull never conflicts on additions)")
    if repair:
        mergedriver.install(repo, commit=False)
        if routed():
            return Check("merge driver", True, "registered it for this clone", repaired=True)
    return Check("merge driver", False, "not registered: `git pull` of concurrent memory additions will conflict; "
                 "run `learning-fs install-hooks`")


def check_symlinks(repo: MemoryRepo) -> Check:
    links = symlinks(repo.root)
    derived = repo.root / DERIVED_DIR
    if derived.is_symlink():
        links.append(DERIVED_DIR)
    if not links:
        return Check("symlinks", True, "none")
    shown = ", ".join(sorted(set(links))[:10])
    return Check("symlinks", False, f"{len(set(links))} symlink(s), which learning_fs refuses to read or write "
                 f"through: {shown}; replace each with the real file or folder (doctor never deletes them)")


def check_locks(repo: MemoryRepo, repair: bool, now: float | None = None) -> Check:
    """Git lock files older than :data:`STALE_LOCK_SECONDS`: left by a killed git or library process."""
    moment = time.time() if now is None else now
    candidates = [repo.git_dir / name for name in _GIT_LOCKS]
    candidates += list((repo.git_dir / "refs").rglob("*.lock"))
    stale = [path for path in candidates if _older(path, moment)]
    if not stale:
        return Check("git locks", True, "none left behind")
    names = ", ".join(str(path.relative_to(repo.git_dir)) for path in stale)
    if repair:
        for path in stale:
            path.unlink(missing_ok=True)
        return Check("git locks", True, f"removed stale lock file(s) {names}", repaired=True)
    return Check("git locks", False, f"stale lock file(s) {names} (older than {STALE_LOCK_SECONDS:.0f} s): git "
                 "refuses to work until they are gone; run with --repair if no git command is running")


def check_index_sync(repo: MemoryRepo, repair: bool) -> Check:
    if not gitindex.has_pending(repo.git_dir):
        return Check(".git/index", True, "in step with the library's commits")
    if repair and repo.flush(timeout=10.0):
        return Check(".git/index", True, "brought up to date", repaired=True)
    return Check(".git/index", False, "library writes are waiting to be synced into .git/index (a person's git "
                 "command holds its lock, or a process died); run with --repair")


def diagnose(repo: MemoryRepo, *, repair: bool = False) -> list[Check]:
    """Every repository check, repairing what is safe when ``repair`` is set."""
    return [check_config(repo.root), check_hook(repo, repair), check_merge_driver(repo, repair),
            check_symlinks(repo), check_locks(repo, repair), check_index_sync(repo, repair)]


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def _older(path: Path, now: float) -> bool:
    try:
        return now - os.lstat(path).st_mtime > STALE_LOCK_SECONDS
    except OSError:
        return False
