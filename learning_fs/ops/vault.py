"""The memory repository as an Obsidian vault: do its links open files, and did Obsidian leave notes behind?

People open a memory repository in Obsidian to read and edit it, and follow its ``[[wikilinks]]``.
Obsidian resolves a link by *file name*, case-insensitively (``[[acme-corp]]`` opens
``…/acme-corp.md``), or by a path suffix (``[[global/f1/acme-corp]]``); a title, a ``name:`` or
an ``aliases:`` entry does not make a bare ``[[Acme Corp]]`` resolve. Clicking a link that
resolves to nothing creates an empty note of that name at the vault's root. ``validate`` uses
this module to report both, and ``validate --fix`` to point relationship links at their files.
"""

from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from learning_fs.format.layout import CONTENT_FOLDERS

WIKILINK = re.compile(r"\[\[(?P<file>[^\]|#]*)(?:#[^\]|]*)?(?:\|(?P<shown>[^\]]*))?\]\]")
_SKIPPED_DIRS = {".git", ".learning_fs", ".obsidian", ".trash", "node_modules"}
# Folders whose Markdown files are the repository's own (reviews, templates) rather than notes.
_LIBRARY_FOLDERS = {*CONTENT_FOLDERS, "reviews", "templates"}


@dataclass(frozen=True)
class Link:
    """One ``[[file|shown]]`` in a file: its 1-based line, the file part and the shown text."""

    line: int
    file: str
    shown: str | None


def markdown_files(root: Path) -> Iterator[str]:
    """Repository-relative paths of every ``.md`` file in the working tree (tool folders skipped)."""
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in _SKIPPED_DIRS)
        relative = Path(folder).relative_to(root).as_posix()
        for name in sorted(files):
            if name.endswith(".md"):
                yield name if relative == "." else f"{relative}/{name}"


def links_in(text: str) -> list[Link]:
    """The wikilinks of a Markdown text, outside fenced code blocks and HTML comments."""
    found: list[Link] = []
    fenced = False
    for number, line in enumerate(text.split("\n"), start=1):
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
            continue
        if fenced:
            continue
        visible = re.sub(r"<!--.*?-->", "", line)
        for match in WIKILINK.finditer(visible):
            file = match.group("file").strip()
            if file:
                found.append(Link(number, file, (match.group("shown") or "").strip() or None))
    return found


class Resolver:
    """Obsidian's link rule over the vault's files: by file name case-insensitively, or by path suffix."""

    def __init__(self, paths: Iterable[str]) -> None:
        self.paths = sorted(paths)
        self._stems: dict[str, str] = {}
        for path in self.paths:
            self._stems.setdefault(posixpath.basename(path).removesuffix(".md").casefold(), path)
        self._bare = [p.removesuffix(".md").casefold() for p in self.paths]

    def resolve(self, file: str) -> str | None:
        """The path a link's file part opens (None: Obsidian would create a new note)."""
        wanted = file.strip().removesuffix(".md").casefold()
        if not wanted:
            return None
        if "/" not in wanted:
            return self._stems.get(wanted)
        for path, bare in zip(self.paths, self._bare, strict=True):
            if bare == wanted or bare.endswith("/" + wanted.lstrip("/")):
                return path
        return None


def stray_notes(root: Path, paths: Iterable[str]) -> list[str]:
    """Empty notes outside the library's folders: what Obsidian leaves when a dangling link is clicked."""
    strays = []
    for path in paths:
        if path.split("/", 1)[0] in _LIBRARY_FOLDERS:
            continue
        try:
            if not (root / path).read_text(encoding="utf-8", errors="replace").strip():
                strays.append(path)
        except OSError:
            continue
    return strays
