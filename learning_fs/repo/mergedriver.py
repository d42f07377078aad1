"""git's merge driver for record files: ``git pull``, ``rebase`` and ``cherry-pick`` merge memories as records.

Two clones that each add a memory for one user both append to ``## Memories`` and both move
``updated:``; git's textual merge calls that a conflict and leaves markers that break the YAML.
With ``merge=learning-fs`` set for the record folders in ``.gitattributes`` (committed, so every
clone has it) and the driver defined in ``.git/config`` (per clone: git never takes commands from
a repository's content), git hands each record file both sides changed to
``learning-fs merge-file %O %A %B %P``, which merges it with
:func:`learning_fs.format.merge.merge_records` and leaves a valid file either way.

The driver command names the Python that installed it (``"<python>" -m learning_fs.cli``), not
``learning-fs`` on ``PATH``: git runs drivers from hooks, IDEs and CI jobs whose ``PATH`` may not
have the virtual environment. ``learning-fs install-hooks`` writes it again after the environment
moved. A clone without the driver defined simply merges textually, as before.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pygit2

from learning_fs.format.layout import FOLDERS, SESSIONS_FOLDER, USERS_FOLDER
from learning_fs.format.merge import merge_files as merge_file  # noqa: F401  (the driver's work; kept here by name)
from learning_fs.repo import trailers as names

if TYPE_CHECKING:
    from learning_fs.repo.history import CommitInfo
    from learning_fs.repo.memory_repo import MemoryRepo

DRIVER = "learning-fs"
ATTRIBUTES_FILE = ".gitattributes"
LOCAL_ATTRIBUTES = "info/attributes"  # inside .git: this clone only, never committed
RECORD_FOLDERS = (USERS_FOLDER, *FOLDERS.values(), SESSIONS_FOLDER)
ATTRIBUTE_LINES = tuple(f"{folder}/**/*.md merge={DRIVER}" for folder in RECORD_FOLDERS)
ATTRIBUTES = (
    "# Record files merge as records (by item id, per frontmatter key), not as text: see docs/teams.md.\n"
    "# Each clone defines the driver in .git/config: run `learning-fs install-hooks` after cloning.\n"
    + "\n".join(ATTRIBUTE_LINES) + "\n"
)


def driver_command(python: str | None = None) -> str:
    """The command git runs for each record file both sides changed (``%O %A %B %P`` filled in by git)."""
    return f"{shlex.quote(python or sys.executable)} -m learning_fs.cli merge-file %O %A %B %P"


def configure_driver(git_dir: Path, python: str | None = None) -> bool:
    """Define ``merge.learning-fs.driver`` (and ``.name``) in this clone's ``.git/config``; True if it changed."""
    config = pygit2.Config(str(git_dir / "config"))
    wanted = {f"merge.{DRIVER}.name": "learning-fs record merge (by item id; docs/teams.md)",
              f"merge.{DRIVER}.driver": driver_command(python)}
    changed = False
    for key, value in wanted.items():
        try:
            current = config[key]
        except KeyError:
            current = None
        if current != value:
            config[key] = value
            changed = True
    return changed


def driver_configured(git_dir: Path) -> bool:
    """Whether this clone defines the driver (whatever Python it names)."""
    try:
        return bool(pygit2.Config(str(git_dir / "config"))[f"merge.{DRIVER}.driver"])
    except KeyError:
        return False


def covers(text: str | None) -> bool:
    """Whether an attributes file routes every record folder to the driver."""
    lines = {line.strip() for line in (text or "").splitlines()}
    return all(line in lines for line in ATTRIBUTE_LINES)


def _with_lines(text: str | None) -> str:
    """``text`` plus whichever of the driver's lines it lacks (a person's own lines are kept)."""
    if not text:
        return ATTRIBUTES
    missing = [line for line in ATTRIBUTE_LINES if line not in {x.strip() for x in text.splitlines()}]
    return text.rstrip("\n") + "\n" + "\n".join(missing) + "\n"


def commit_attributes(repo: MemoryRepo) -> CommitInfo | None:
    """Commit ``.gitattributes`` routing the record folders to the driver (None when it already does)."""
    with repo.transaction("Merge record files with the learning-fs merge driver",
                          trailers={names.STORE: "repo"}) as tx:
        current = tx.read_bytes(ATTRIBUTES_FILE)
        text = current.decode("utf-8", errors="replace") if current is not None else None
        if not covers(text):
            tx.write_bytes(ATTRIBUTES_FILE, _with_lines(text).encode("utf-8"))
    return tx.commit


def local_attributes(repo: MemoryRepo) -> bool:
    """When the committed ``.gitattributes`` lacks the driver's lines, add them to ``.git/info/attributes``.

    For a clone of a repository made before the driver existed: it merges record files as
    records at once, without a commit (``learning-fs init`` commits the lines for everyone).
    Returns True when the file was written.
    """
    committed = repo.root / ATTRIBUTES_FILE
    if committed.is_file() and covers(committed.read_text(encoding="utf-8", errors="replace")):
        return False
    path = repo.git_dir / LOCAL_ATTRIBUTES
    current = path.read_text(encoding="utf-8", errors="replace") if path.is_file() else None
    if covers(current):
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(_with_lines(current), encoding="utf-8")
    return True


def install(repo: MemoryRepo, *, commit: bool = True) -> list[str]:
    """Set a repository up for the record merge; what was done, in words (empty: nothing to do).

    ``commit=True`` (``learning-fs init``) commits ``.gitattributes``; ``commit=False``
    (``learning-fs install-hooks`` in a clone) only touches ``.git/`` of this clone.
    """
    done = []
    if commit and commit_attributes(repo) is not None:
        done.append(f"committed {ATTRIBUTES_FILE}: record files merge with the {DRIVER} driver")
    if not commit and local_attributes(repo):
        done.append(f"{ATTRIBUTES_FILE} does not route record files to the driver yet: added the lines to "
                    f".git/{LOCAL_ATTRIBUTES} for this clone (`learning-fs init` commits them for everyone)")
    if configure_driver(repo.git_dir):
        done.append(f"defined merge.{DRIVER}.driver in .git/config: {driver_command()}")
    return done
