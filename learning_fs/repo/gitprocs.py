"""Is a person's ``git commit`` (or another command that moves HEAD or writes the index) running here?

Git's ``commit`` reads HEAD first, without a lock, and only at its very end moves the branch with
a compare-and-swap against that value; in between it reads and stats the whole index (0.3–1.6 s at
100k files) and runs the hooks. A library commit landing anywhere in that window makes git fail
with "cannot lock ref 'HEAD': is at X but expected Y", and nothing git leaves on disk marks the
first part of the window. The process itself does: from its ``exec`` on, ``/proc/<pid>`` names a
``git`` whose arguments hold ``commit`` and whose working directory (or ``-C`` / ``--git-dir`` /
``GIT_DIR``) is this repository. Library writers look here just before they move the branch and
hold their commit back while such a process lives (for at most :data:`PERSON_WAIT` seconds after
it started, so a forgotten editor never stops them for long).

Reading every ``/proc/<pid>/stat`` costs 30–60 µs a process on a small VM (4–6 ms for 100
processes, more than a whole write), so verdicts are cached by ``(pid, inode of /proc/<pid>)``
(a reused pid gets a new inode): a process is read again while it is younger than :data:`YOUNG`
(it may still ``exec`` git; a fork shows its parent's name until then), and every process once
every :data:`REFRESH` seconds. A steady scan is one ``scandir`` of ``/proc`` (~0.3 ms); the first
in a process reads them all (2–6 ms for ~150 processes on a loaded 2-core VM). Linux only;
elsewhere (no ``/proc``) nothing is found and the pre-commit hook's marker is the only sign.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

PERSON_WAIT = 10.0
"""Seconds after its start that a person's git command holds library commits back."""
YOUNG = 2.0
"""A process younger than this (seconds since it started) is read again at every scan (it may still exec git)."""
REFRESH = 2.0
"""Every process is read again this often (one that exec'd git long after it started)."""

HEAD_MOVERS = frozenset({"commit", "merge", "pull", "cherry-pick", "revert", "am", "rebase", "reset", "stash"})
"""Commands that read HEAD and later move it with a compare-and-swap (fail if the branch moved)."""
INDEX_WRITERS = HEAD_MOVERS | {"add", "rm", "mv", "restore", "checkout", "switch", "apply", "read-tree", "clean"}
"""Commands that take ``index.lock`` and die when they find it taken."""

_ROOT = "/proc"
_WITH_VALUE = frozenset({"-C", "-c", "--git-dir", "--work-tree", "--namespace", "--config-env", "--super-prefix",
                         "--exec-path"})
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

# (pid, inode) -> (read again until, verdict): verdict None for "not a git command that matters", else
# (subcommand, git dir or directory it runs in, whether that came from --git-dir/GIT_DIR, start ticks)
_Verdict = tuple[str, str, bool, int] | None
_cache: dict[tuple[str, int], tuple[float, _Verdict]] = {}
_last_full = 0.0
_listed_at = 0.0  # monotonic time the last listing of /proc began (what running() said is true as of then)
_lock = threading.Lock()


def listed_at() -> float:
    """When the listing behind the last :func:`running` answer began (``time.monotonic()``)."""
    return _listed_at


def _read(path: str, size: int = 4096) -> bytes:
    fd = os.open(path, os.O_RDONLY)
    try:
        return os.read(fd, size)
    finally:
        os.close(fd)


def _subcommand(argv: list[str]) -> tuple[str | None, list[str], str | None]:
    """``(subcommand, -C paths in order, --git-dir)`` from a git command line."""
    name = os.path.basename(argv[0]) if argv else ""
    if name.startswith("git-"):  # a dashed builtin (/usr/lib/git-core/git-commit)
        return name[4:], [], None
    chdirs: list[str] = []
    git_dir = None
    i = 1
    while i < len(argv):
        arg = argv[i]
        if arg in _WITH_VALUE and i + 1 < len(argv):
            if arg == "-C":
                chdirs.append(argv[i + 1])
            elif arg == "--git-dir":
                git_dir = argv[i + 1]
            i += 2
            continue
        if arg.startswith("--git-dir="):
            git_dir = arg.partition("=")[2]
        elif not arg.startswith("-"):
            return arg, chdirs, git_dir
        i += 1
    return None, chdirs, git_dir


def _judge(pid: str, data: bytes, commands: frozenset[str]) -> _Verdict:
    """The verdict on one process whose ``stat`` is ``data`` (None unless a git command of ``commands``)."""
    head, _, tail = data.rpartition(b")")
    if b"(git" not in head:
        return None
    try:
        start = int(tail.split()[19])  # field 22 of stat: start time in clock ticks after boot
        argv = [a.decode("utf-8", "surrogateescape") for a in _read(f"{_ROOT}/{pid}/cmdline", 65536).split(b"\0")]
        command, chdirs, git_dir = _subcommand(argv[:-1] if argv[-1:] == [""] else argv)
        if command not in commands:
            return None
        where = os.readlink(f"{_ROOT}/{pid}/cwd")
        for folder in chdirs:
            where = os.path.join(where, folder)
        if git_dir is None:
            for entry in _read(f"{_ROOT}/{pid}/environ", 1 << 20).split(b"\0"):
                if entry.startswith(b"GIT_DIR="):
                    git_dir = entry[8:].decode("utf-8", "surrogateescape")
        if git_dir is not None:
            return command, os.path.realpath(os.path.join(where, git_dir)), True, start
        return command, os.path.realpath(where), False, start
    except (OSError, IndexError, ValueError):  # gone meanwhile, or not ours to read
        return None


def _uptime() -> float:
    try:
        return float(_read(f"{_ROOT}/uptime", 64).split()[0])
    except (OSError, IndexError, ValueError):
        return 0.0


def _listing() -> list[tuple[str, int]]:
    global _listed_at
    _listed_at = time.monotonic()
    try:
        return [(e.name, e.inode()) for e in os.scandir(_ROOT) if e.name.isdigit()]
    except OSError:
        return []


def running(root: Path, git_dir: Path, commands: frozenset[str] = HEAD_MOVERS,
            max_age: float = PERSON_WAIT) -> list[int]:
    """Pids of git processes running one of ``commands`` in this repository, started < ``max_age`` s ago.

    Two passes at least: the second lists ``/proc`` again and reads only the young processes (a
    fork still waiting to ``exec`` git) and the new ones, again until no new one appears. So a
    ``git commit`` started while a loaded machine took milliseconds over the first pass is still
    seen, and the answer is true as of the last pass (:func:`listed_at`, ~0.3 ms before return).
    """
    global _cache, _last_full
    root_s, git_s = str(root), str(git_dir)
    found: dict[int, int] = {}
    uptime: float | None = None
    with _lock:
        now = time.monotonic()
        full = now - _last_full >= REFRESH
        if full:
            _last_full = now
        cache: dict[tuple[str, int], tuple[float, _Verdict]] = {}
        for round_ in range(6):
            entries = _listing()
            if not entries:
                break
            new = False
            for key in entries:
                seen = cache.get(key) if round_ else _cache.get(key)
                if seen is None:
                    new = True
                if seen is not None and (round_ or not full) and now >= seen[0]:
                    recheck, verdict = seen
                else:
                    try:
                        data = _read(f"{_ROOT}/{key[0]}/stat", 1024)
                    except OSError:
                        continue
                    verdict = _judge(key[0], data, INDEX_WRITERS)
                    if uptime is None:
                        uptime = _uptime()
                    try:  # read again at every pass while younger than YOUNG: it may still exec git
                        age = uptime - int(data.rpartition(b")")[2].split()[19]) / _CLOCK_TICKS
                    except (IndexError, ValueError):
                        age = 0.0
                    recheck = now + max(0.0, YOUNG - age)
                cache[key] = (recheck, verdict)
                if verdict is None or verdict[0] not in commands:
                    continue
                _command, where, is_git_dir, start = verdict
                if is_git_dir:
                    if where != git_s:
                        continue
                elif where != root_s and not where.startswith(root_s + os.sep):
                    continue
                found[int(key[0])] = start
            if found or (round_ and not new):
                break
        _cache = cache
    if not found:
        return []
    if uptime is None:
        uptime = _uptime()
    return [pid for pid, start in found.items() if uptime - start / _CLOCK_TICKS < max_age]
