"""Shared helpers for the benchmarks in ``bench/``: timing, percentiles, Markdown tables, big repos.

Benchmarks are scripts that print a table (never timed tests). Each one measures wall-clock time
with :func:`time.perf_counter`, reports median and 95th percentile, and prints a Markdown table so
the output can be pasted into a README or a closing note as is.
"""

from __future__ import annotations

import itertools
import os
import platform
import shutil
import statistics
import subprocess
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

CACHE_DIR = Path(os.environ.get("LEARNING_FS_BENCH_CACHE", "/tmp/learning_fs-bench-cache"))


def percentile(values: Sequence[float], pct: float) -> float:
    """The ``pct`` percentile (0-100) by linear interpolation; NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * pct / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def p50_p95_ms(seconds: Sequence[float]) -> tuple[float, float]:
    """Median and 95th percentile of timings given in seconds, in milliseconds."""
    return percentile(seconds, 50) * 1000, percentile(seconds, 95) * 1000


def time_calls(action: Callable[[int], Any], repeat: int, warmup: int = 2) -> list[float]:
    """Call ``action(i)`` ``warmup + repeat`` times; the seconds each of the last ``repeat`` took."""
    for i in range(warmup):
        action(-1 - i)
    timings = []
    for i in range(repeat):
        start = time.perf_counter()
        action(i)
        timings.append(time.perf_counter() - start)
    return timings


def fmt_ms(value: float) -> str:
    return "-" if value != value else f"{value:.1f}"  # NaN -> "-"


def markdown_table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A Markdown table with columns padded for reading in a terminal."""
    body = [[str(cell) for cell in row] for row in rows]
    widths = [max(len(str(h)), *(len(r[i]) for r in body)) if body else len(str(h)) for i, h in enumerate(headers)]
    lines = ["| " + " | ".join(str(h).ljust(w) for h, w in zip(headers, widths, strict=True)) + " |",
             "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    lines += ["| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in body]
    return "\n".join(lines)


def machine_line() -> str:
    """One line naming what the numbers were measured on."""
    git = subprocess.run(["git", "--version"], capture_output=True, text=True, check=False).stdout.strip()
    return (f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
            f"{git}")


def cached(name: str, build: Callable[[Path], None]) -> Path:
    """A directory built once by ``build(path)`` and kept under :data:`CACHE_DIR` between runs."""
    target = CACHE_DIR / name
    done = CACHE_DIR / f"{name}.complete"  # beside the directory, so a cached repo stays clean
    if done.exists() and target.is_dir():
        return target
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    build(target)
    done.write_text("ok\n")
    return target


def link_copy(source: Path, target: Path) -> None:
    """Copy a git repository fast: hard links for the worktree and objects, real copies for the rest.

    Safe because git and learning_fs never change those files in place: objects are immutable and
    worktree files are replaced by renaming a new file over them. Everything else under ``.git``
    (reflogs are *appended to*, the index, refs, config) is small and copied for real, so writes
    in the copy never reach the cached original.
    """
    shutil.rmtree(target, ignore_errors=True)
    result = subprocess.run(["cp", "-al", str(source), str(target)], capture_output=True, check=False)
    if result.returncode != 0:  # no GNU cp (or another file system): a plain copy
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(source, target, symlinks=True)
        return
    for entry in (source / ".git").iterdir():
        if entry.name == "objects":
            continue
        copy = target / ".git" / entry.name
        if copy.is_dir() and not copy.is_symlink():
            shutil.rmtree(copy)
            shutil.copytree(entry, copy, symlinks=True)
        else:
            copy.unlink()
            shutil.copy2(entry, copy)


def mean(values: Sequence[float]) -> float:
    return statistics.fmean(values) if values else float("nan")


SEED_TIME = 1767225600  # 2026-01-01T00:00:00Z: every seeded commit has the same date, so caches stay valid


def import_commit(root: Path, files: Iterable[tuple[str, bytes]], message: str, *, branch: str = "main",
                  parent: str | None = None) -> None:
    """Stream files into ONE commit with ``git fast-import`` (one pack; ~25 s for 100k records).

    A benchmark that needs a big repository must not build it by 100k library writes; this is the
    one place that seeds them, with the library's own rendering of the records.
    """
    importer = subprocess.Popen(["git", "fast-import", "--quiet", "--done"], cwd=root, stdin=subprocess.PIPE)
    assert importer.stdin is not None
    out = importer.stdin
    body = message.encode()
    out.write(b"commit refs/heads/%s\ncommitter learning-fs <learning-fs@localhost> %d +0000\n"
              % (branch.encode(), SEED_TIME))
    out.write(b"data %d\n%s\n" % (len(body), body))
    if parent:
        out.write(b"from %s\n" % parent.encode())
    for path, data in files:
        out.write(b"M 100644 inline %s\ndata %d\n%s\n" % (path.encode(), len(data), data))
    out.write(b"\ndone\n")
    out.close()
    if importer.wait() != 0:
        raise RuntimeError("git fast-import failed")


def seed_repo(root: Path, files: Iterable[tuple[str, bytes]], message: str) -> None:
    """A new memory repository at ``root``: config, .gitignore and ``files`` in one commit, checked out."""
    from learning_fs.repo.config import CONFIG_FILE, GITIGNORE, RepoConfig

    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    head = [(CONFIG_FILE, RepoConfig().to_yaml().encode()), (".gitignore", GITIGNORE.encode())]
    import_commit(root, itertools.chain(head, files), message)
    subprocess.run(["git", "reset", "-q", "--hard"], cwd=root, check=True)
