"""Files a person is editing that the library could not merge into: recall reads them merged with HEAD.

When the library's change conflicts with a person's uncommitted edit of the same record file (both
changed the same item), the person's file is left as it is and the library's change is only in
HEAD. Recall reads the working tree, so without more it would not see that change until the person
resolved it. Such paths are listed in ``.git/learning_fs-worktree-kept`` with the version the
person's edit started from; :meth:`MemoryRepo.read` then returns ``merge_records(that version, the
file on disk, HEAD's version)`` — the record with both sides, conflicts kept in the valid form
``validate`` reports — until the file on disk equals HEAD's again (the person committed or
resolved it).
"""

from __future__ import annotations

import os
from pathlib import Path

KEPT = "learning_fs-worktree-kept"
_NONE = "-"


class KeptFiles:
    """The registry, re-read when its file changes (one ``stat`` per read of the repository)."""

    def __init__(self, git_dir: Path) -> None:
        self.path = git_dir / KEPT
        self._key: tuple[int, int] | None = None
        self._entries: dict[str, str | None] = {}

    def entries(self) -> dict[str, str | None]:
        """``path -> blob id the person's edit started from`` (None: an untracked file of theirs)."""
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            self._key, self._entries = None, {}
            return self._entries
        key = (st.st_mtime_ns, st.st_size)
        if key != self._key:
            entries: dict[str, str | None] = {}
            for line in self.path.read_text(encoding="utf-8").splitlines():
                base, tab, rel = line.partition("\t")
                if tab and rel:
                    entries[rel] = None if base == _NONE else base
            self._key, self._entries = key, entries
        return self._entries

    def update(self, add: dict[str, str | None], remove: set[str]) -> None:
        """Add and drop entries (the caller holds the write lock); an entry added keeps its first base."""
        current = dict(self.entries())
        changed = False
        for rel in remove:
            if current.pop(rel, _NONE) != _NONE:
                changed = True
        for rel, base in add.items():
            if rel not in current:
                current[rel] = base
                changed = True
        if not changed:
            return
        if not current:
            self.path.unlink(missing_ok=True)
        else:
            temporary = self.path.with_name(f"{KEPT}.{os.getpid()}.tmp")
            temporary.write_text("".join(f"{b or _NONE}\t{p}\n" for p, b in sorted(current.items())), encoding="utf-8")
            os.replace(temporary, self.path)
        self._key = None
