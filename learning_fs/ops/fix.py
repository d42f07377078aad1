"""``learning-fs validate --fix``: repair what a person or Obsidian left that the library can repair safely.

Two things, both mechanical and both reported by ``validate``:

- a note written by hand without an ``id`` (or without a ``kind``, in a kind's folder) gets one —
  the id it is already read with (derived from its path), so nothing that pointed at it changes;
- a relationship whose ``[[link]]`` opens no file in Obsidian (a bare ``[[Acme Corp]]`` next to
  ``acme-corp.md``) is pointed at its entity's file: ``[[acme-corp|Acme Corp]]``.

Everything is one commit through a transaction, so ``git revert`` undoes the fix.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field

from learning_fs.errors import RecordParseError
from learning_fs.format import frontmatter
from learning_fs.format.layout import kind_from_path
from learning_fs.format.records import EntityRecord, Record, parse_record
from learning_fs.format.slugs import slugify
from learning_fs.ops import vault
from learning_fs.ops.origin import Origin, write_transaction
from learning_fs.repo import MemoryRepo


@dataclass
class FixReport:
    """What ``fix_repo`` changed: ``(path, what)`` pairs, and the commit (None when nothing needed fixing)."""

    fixed: list[tuple[str, str]] = field(default_factory=list)
    commit: str | None = None


def _with_kind(text: str, kind: str) -> str:
    """``text`` with ``kind:`` added to its frontmatter (a frontmatter is made when there is none)."""
    lines = text.removeprefix("\ufeff").split("\n")
    if lines[0].rstrip() != frontmatter.DELIMITER:
        return f"{frontmatter.DELIMITER}\nkind: {kind}\n{frontmatter.DELIMITER}\n\n{text.lstrip()}"
    return "\n".join([lines[0], f"kind: {kind}", *lines[1:]])


def _read(repo: MemoryRepo, path: str) -> tuple[Record | None, str | None]:
    """The record at ``path`` (a missing ``kind`` taken from the folder), and what was added to get it."""
    try:
        text = (repo.root / path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None, None
    try:
        return parse_record(text, path), None
    except RecordParseError as exc:
        kind = kind_from_path(path)
        if kind is None or "no 'kind'" not in exc.message:
            return None, None
        try:
            return parse_record(_with_kind(text, kind), path), f"kind: {kind} (from its folder)"
        except RecordParseError:
            return None, None


def _relationship_links(repo: MemoryRepo, path: str) -> dict[str, str]:
    """``{shown name: file part}`` of the links as the file spells them (what Obsidian resolves)."""
    text = (repo.root / path).read_text(encoding="utf-8", errors="replace")
    return {(link.shown or link.file): link.file for link in vault.links_in(text)}


def _commit_as_written(repo: MemoryRepo, paths: list[str], origin: Origin) -> None:
    """Commit the notes that differ from HEAD (new, or edited and not committed) exactly as they are.

    The library never overwrites a file a person has not committed; committing their text first,
    unchanged, is what lets the fix that follows update the file in the working tree too — and it
    keeps the person's version in the history, apart from the library's change.
    """
    with write_transaction(repo, f"Commit {len(paths)} hand-edited file(s) as written, before fixing them",
                           origin) as tx:
        for path in paths:
            data = (repo.root / path).read_bytes()
            if tx.read_bytes(path) != data:
                tx.write_bytes(path, data)


def fix_repo(repo: MemoryRepo, origin: Origin | None = None) -> FixReport:
    """Give id-less notes their ids and point relationship links at their files, in one commit."""
    origin = origin or Origin(store="validate", mode="manual")
    report = FixReport()
    records: dict[str, Record] = {}
    notes: dict[str, list[str]] = {}
    for path in repo.paths():
        record, added = _read(repo, path)
        if record is None:
            continue
        records[path] = record
        if added:
            notes.setdefault(path, []).append(added)
        if record.id_assigned:
            notes.setdefault(path, []).append(f"id: {record.id}")
    resolver = vault.Resolver(vault.markdown_files(repo.root))
    written_links = {path: _relationship_links(repo, path) for path, r in records.items()
                     if isinstance(r, EntityRecord)}
    by_name: dict[tuple[str, str | None, str], str] = {}
    for path, record in records.items():
        if isinstance(record, EntityRecord):
            for name in [record.name, *record.aliases]:
                by_name.setdefault((record.namespace, record.user, " ".join(name.split()).casefold()), path)
    for path, record in records.items():
        if not isinstance(record, EntityRecord):
            continue
        for item in record.relationships:
            if not item.target:
                continue
            target = by_name.get((record.namespace, record.user, " ".join(item.target.split()).casefold()))
            written = written_links.get(path, {}).get(item.target)
            if target is None or written is None or resolver.resolve(written) == target:
                continue
            stem = posixpath.basename(target).removesuffix(".md")
            item.link = None if stem == slugify(item.target) else stem
            notes.setdefault(path, []).append(f"[[{written}]] → [[{stem}|{item.target}]]")
    if not notes:
        return report
    _commit_as_written(repo, sorted(notes), origin)
    body = "\n".join(f"- {path}: {', '.join(what)}" for path, what in sorted(notes.items()))
    with write_transaction(repo, f"Fix {len(notes)} file(s) that validate reported", origin) as tx:
        tx.body = body
        for path in sorted(notes):
            tx.write(records[path], path=path)
    report.fixed = [(path, what) for path, whats in sorted(notes.items()) for what in whats]
    report.commit = tx.commit.sha if tx.commit else None
    return report
