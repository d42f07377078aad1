"""Keep ``.git/index`` in step with the library's object-level commits — off the write path.

Object-level commits leave ``.git/index`` describing the old tree: ``git status`` then shows the
library's new files as staged deletions, and a person's ``git commit`` at that moment would
commit those deletions, undoing the library's writes. Updating the index costs 49–79 ms at 100k
files (it is rewritten whole), five times the budget of a write, so it happens here instead:

1. the writer appends the paths it committed to a journal in ``.git`` (inside the write lock);
2. a background thread, ``flush()``, process exit, or the ``pre-commit`` hook installed in the
   repository drains the journal: under the index lock it reads HEAD's current blob for each
   path and hands them to ``git update-index --index-info`` in one call.

Because the syncer always writes *HEAD's* version of a path (never the version one writer
remembers), syncs from several processes can run in any order and still converge. The
``pre-commit`` hook closes the remaining window: git re-reads the index after that hook, so a
person's commit always sees the library's latest writes.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pygit2
from filelock import FileLock

log = logging.getLogger(__name__)

JOURNAL = "learning_fs-index-pending"
HOOK_MARKER = "# learning_fs: sync .git/index"
_ZERO = "0" * 40


def journal_path(git_dir: Path) -> Path:
    return git_dir / JOURNAL


def record_pending(git_dir: Path, paths: list[str]) -> None:
    """Append committed paths to the journal (caller holds the write lock)."""
    if paths:
        with open(journal_path(git_dir), "a", encoding="utf-8") as handle:
            handle.write("".join(p + "\n" for p in paths))


def claim_journal(git_dir: Path) -> None:
    """Move the journal aside so writers start a fresh one while this one is drained."""
    journal = journal_path(git_dir)
    if journal.exists():
        os.replace(journal, git_dir / f"{JOURNAL}.{os.getpid()}.{threading.get_ident()}")


def sync_index(root: Path, git_dir: Path,
               under_write_lock: Callable[[Callable[[], None]], None] | None = None) -> int:
    """Drain the journal into ``.git/index``; returns how many paths were synced.

    ``under_write_lock`` runs the journal claim inside the caller's write lock, so no writer
    appends to a journal that is being drained.
    """
    with FileLock(str(git_dir / "learning_fs-index.lock"), timeout=60):
        if under_write_lock is not None:
            under_write_lock(lambda: claim_journal(git_dir))
        else:
            claim_journal(git_dir)
        leftovers = sorted(git_dir.glob(f"{JOURNAL}.*"))
        paths: list[str] = []
        for file in leftovers:
            paths.extend(line for line in file.read_text(encoding="utf-8").splitlines() if line)
        if not paths:
            for file in leftovers:
                file.unlink(missing_ok=True)
            return 0
        unique = sorted(set(paths))
        repo = pygit2.Repository(str(git_dir))
        try:
            head_tree = repo.head.peel(pygit2.Commit).tree
        except (pygit2.GitError, KeyError):
            head_tree = None
        lines = []
        for path in unique:
            try:
                entry = head_tree[path] if head_tree is not None else None
            except KeyError:
                entry = None
            if entry is None:
                lines.append(f"0 {_ZERO}\t{path}")
            else:
                lines.append(f"{entry.filemode:o} {entry.id}\t{path}")
        payload = "".join(line + "\0" for line in lines)
        result = subprocess.run(
            ["git", "update-index", "-z", "--index-info"],
            cwd=root, input=payload.encode(), capture_output=True, check=False,
        )
        if result.returncode != 0:
            # Typically a person's git command holds index.lock: keep the journal, retry later.
            log.warning("could not update .git/index yet: %s", result.stderr.decode(errors="replace").strip())
            return 0
        for file in leftovers:
            file.unlink(missing_ok=True)
        return len(unique)


class IndexSyncer:
    """A daemon thread that drains the journal shortly after writes (debounced)."""

    def __init__(self, root: Path, git_dir: Path, claim: Callable[[Callable[[], None]], None],
                 delay: float = 0.05) -> None:
        self.root, self.git_dir, self.delay = root, git_dir, delay
        self._claim = claim
        self._wake = threading.Event()
        self._idle = threading.Event()
        self._idle.set()
        self._stop = False
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def notify(self) -> None:
        """Called after each commit on the checked-out branch."""
        with self._lock:
            self._idle.clear()
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="learning_fs-index-sync", daemon=True)
                self._thread.start()
        self._wake.set()

    def flush(self) -> None:
        """Sync now and return when ``.git/index`` matches every commit made so far."""
        self._drain()
        self._idle.set()

    def stop(self) -> None:
        self._stop = True
        self._wake.set()
        self.flush()

    def _drain(self) -> None:
        try:
            sync_index(self.root, self.git_dir, self._claim)
        except Exception:  # never let a background sync kill the process; flush() retries
            log.exception("syncing .git/index failed")

    def _run(self) -> None:
        while not self._stop:
            self._wake.wait()
            self._wake.clear()
            # Debounce: let a burst of writes finish, then sync once.
            while self._wake.wait(self.delay):
                self._wake.clear()
            self._drain()
            if not self._wake.is_set():
                self._idle.set()


def hook_script() -> str:
    """The ``pre-commit`` hook: drain the journal before git writes a person's commit."""
    python = sys.executable
    return f"""#!/bin/sh
{HOOK_MARKER} before a person's commit, so it cannot undo a library write.
journal="$(git rev-parse --git-dir)/{JOURNAL}"
if ls "$journal"* >/dev/null 2>&1 && [ -x "{python}" ]; then
  "{python}" -m learning_fs.repo.gitindex "$(git rev-parse --show-toplevel)" || true
fi
exit 0
"""


def install_hook(git_dir: Path) -> bool:
    """Install the hook unless the repository already has a pre-commit hook of its own."""
    hooks = git_dir / "hooks"
    hook = hooks / "pre-commit"
    if hook.exists() and HOOK_MARKER not in hook.read_text(encoding="utf-8", errors="replace"):
        log.info("%s exists and is not ours; not installing the index-sync hook", hook)
        return False
    hooks.mkdir(parents=True, exist_ok=True)
    hook.write_text(hook_script(), encoding="utf-8")
    hook.chmod(0o755)
    return True


if __name__ == "__main__":  # used by the pre-commit hook
    top = Path(sys.argv[1])
    sync_index(top, Path(pygit2.Repository(str(top)).path.rstrip("/")))
