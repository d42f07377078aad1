"""Sizes and contents of many blobs from one ``git cat-file`` process.

The history frames carry blob ids (``git log --raw``), so the size of every version of every
file — and hence the token cost of the memory over time — is one ``--batch-check`` away, and the
text of every changed version one ``--batch`` away: no checkout, no process per file.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterable
from pathlib import Path

from learning_fs.errors import LearningFSError


def _unique(ids: Iterable[object]) -> list[str]:
    return list(dict.fromkeys(i for i in ids if isinstance(i, str) and i))


def blob_sizes(root: str | Path, ids: Iterable[object]) -> dict[str, int]:
    """``{blob id: size in bytes}`` for the given ids (missing objects are left out)."""
    wanted = _unique(ids)
    if not wanted:
        return {}
    result = subprocess.run(["git", "cat-file", "--batch-check=%(objectname) %(objectsize)"], cwd=root,
                            input="\n".join(wanted) + "\n", capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise LearningFSError(f"git cat-file failed in {root}: {result.stderr.strip()}")
    sizes = {}
    for line in result.stdout.splitlines():
        sha, _, size = line.partition(" ")
        if size.isdigit():
            sizes[sha] = int(size)
    return sizes


def blob_texts(root: str | Path, ids: Iterable[object]) -> dict[str, str]:
    """``{blob id: text}`` (UTF-8, undecodable bytes replaced) for the given ids."""
    wanted = _unique(ids)
    if not wanted:
        return {}
    result = subprocess.run(["git", "cat-file", "--batch"], cwd=root, input=("\n".join(wanted) + "\n").encode(),
                            capture_output=True, check=False)
    if result.returncode != 0:
        raise LearningFSError(f"git cat-file failed in {root}: {result.stderr.decode(errors='replace').strip()}")
    data, texts, pos = result.stdout, {}, 0
    while pos < len(data):
        end = data.index(b"\n", pos)
        header = data[pos:end].decode().split(" ")
        pos = end + 1
        if len(header) < 3 or header[1] == "missing":
            continue
        size = int(header[2])
        texts[header[0]] = data[pos:pos + size].decode("utf-8", "replace")
        pos += size + 1  # the content is followed by a newline
    return texts
