"""Check that every file in a memory repository parses and follows the format (``learning-fs validate``).

People edit these files by hand and review them in pull requests, so a mistake must be found
before an agent trips over it, and reported the way compilers do — ``file:line: message`` — so an
editor or CI log jumps straight to the line. Checks cover what the library relies on: the file
parses, it sits in the folder of its kind, private records stay under ``users/<user>/`` and shared
ones outside it, ids are unique, required fields are present, and list lines follow their grammar.
"""

from __future__ import annotations

import os
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

from learning_fs.errors import RecordParseError, SymlinkError, UnsafePathError
from learning_fs.format.items import Item
from learning_fs.format.layout import (
    FEEDBACK_FOLDER,
    FOLDERS,
    instructions_path,
    is_private_path,
    kind_from_path,
    namespace_segment,
    user_folder,
)
from learning_fs.format.merge import find_conflicts
from learning_fs.format.records import (
    FEEDBACK_SIGNALS,
    USER_NAMESPACE,
    DecisionRecord,
    EntityRecord,
    FeedbackRecord,
    InstructionsRecord,
    LearningRecord,
    Record,
    SessionRecord,
    parse_record,
)
from learning_fs.ops import vault
from learning_fs.repo import MemoryRepo
from learning_fs.repo.config import CONFIG_FILE, RepoConfig
from learning_fs.repo.safety import read_nofollow

Severity = Literal["error", "warning"]
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$")


@dataclass(frozen=True)
class Problem:
    """One finding: where (repository-relative path, 1-based line) and what is wrong."""

    path: str
    line: int
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        prefix = "" if self.severity == "error" else "warning: "
        return f"{self.path}:{self.line}: {prefix}{self.message}"

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


class _FileChecker:
    """Checks of one file; knows its text so every problem can point at a line."""

    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.lines = text.split("\n")
        self.problems: list[Problem] = []
        self._header_end = self._find_header_end()

    def _find_header_end(self) -> int:
        if not self.lines or self.lines[0].rstrip() != "---":
            return 0
        for index in range(1, len(self.lines)):
            if self.lines[index].rstrip() in ("---", "..."):
                return index
        return 0

    def find_key(self, key: str) -> int | None:
        """The line of a top-level frontmatter key, or None when the file does not have it."""
        pattern = re.compile(rf"^{re.escape(key)}\s*:")
        for index in range(1, self._header_end):
            if pattern.match(self.lines[index]):
                return index + 1
        return None

    def key_line(self, key: str) -> int:
        """The line of a top-level frontmatter key (1 when the key is absent)."""
        return self.find_key(key) or 1

    def text_line(self, *needles: str) -> int:
        """The first body line containing one of ``needles`` (1 when none is found)."""
        for needle in needles:
            if not needle:
                continue
            for index in range(self._header_end, len(self.lines)):
                if needle in self.lines[index]:
                    return index + 1
        return 1

    def item_line(self, item: Item) -> int:
        return self.text_line(f"id={item.id}", item.text, item.target or "")

    def error(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.path, line, message))

    def warn(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.path, line, message, "warning"))


def check_file(path: str, text: str) -> tuple[Record | None, list[Problem]]:
    """Parse one file and check the rules that need only the file and its path."""
    record, checker = _check(path, text)
    return record, checker.problems


def _check(path: str, text: str) -> tuple[Record | None, _FileChecker]:
    checker = _FileChecker(path, text)
    try:
        record = parse_record(text, path)
    except RecordParseError as exc:
        checker.error(exc.line or 1, exc.message)
        for line, message in find_conflicts(text):  # git's markers are why the YAML broke, most often
            if line != (exc.line or 1):
                checker.error(line, message)
        return None, checker
    if record.id_assigned:
        checker.error(1, "frontmatter has no 'id': `learning-fs validate --fix` gives this hand-written note one "
                         "(the library also writes one the next time it changes the file)")
    _check_place(checker, record)
    _check_fields(checker, record)
    _check_items(checker, record)
    for line, message in find_conflicts(text):
        checker.error(line, message)
    return record, checker


def _check_place(checker: _FileChecker, record: Record) -> None:
    """The kind matches the folder; private records live under their own user, shared ones outside."""
    path = checker.path
    expected = kind_from_path(path)
    if expected is None:
        checker.error(1, f"no record kind lives at this path (a {record.kind} record belongs where "
                         "docs/format.md#layout says)")
        return
    if record.kind != expected:
        checker.error(checker.key_line("kind"), f"a {record.kind} record in a folder for {expected} records")
        return
    if is_private_path(path):
        if record.namespace != USER_NAMESPACE:
            checker.error(checker.key_line("namespace"), f"a shared record (namespace {record.namespace!r}) inside "
                          "users/: private records only, with 'namespace: user'")
            return
        if not record.user:
            checker.error(checker.key_line("user"), "a private record needs 'user' (its owner)")
            return
        try:
            owner = user_folder(record.user)
        except UnsafePathError as exc:
            checker.error(checker.key_line("user"), str(exc))
            return
        if not path.startswith(owner + "/"):
            checker.error(checker.key_line("user"), f"belongs to user {record.user!r}, whose folder is {owner}/")
        return
    if record.namespace == USER_NAMESPACE:
        checker.error(checker.key_line("namespace"), "a private record (namespace 'user') outside users/")
        return
    folder = FOLDERS.get(record.kind) or (FEEDBACK_FOLDER if record.kind == "feedback" else None)
    if folder is not None:
        try:
            expected_ns = namespace_segment(record.namespace)
        except UnsafePathError as exc:
            checker.error(checker.key_line("namespace"), str(exc))
            return
        actual_ns = path.split("/")[1] if path.count("/") >= 2 else ""
        if actual_ns != expected_ns:
            checker.error(checker.key_line("namespace"), f"namespace {record.namespace!r} belongs in "
                          f"{folder}/{expected_ns}/, not {folder}/{actual_ns}/")


def _check_fields(checker: _FileChecker, record: Record) -> None:
    """Required fields, timestamps and ranges."""
    required: dict[str, str] = {}
    if isinstance(record, EntityRecord):
        required = {"name": record.name}
    elif isinstance(record, LearningRecord):
        required = {"title": record.title}
        if not record.learning.strip():
            checker.error(checker.text_line("# "), "a learning needs its text (under the title)")
    elif isinstance(record, DecisionRecord):
        required = {"title": record.title}
        if not record.decision.strip():
            checker.error(checker.text_line("# "), "a decision needs its text (under the title)")
        if record.confidence is not None and not 0 <= record.confidence <= 1:
            checker.error(checker.key_line("confidence"),
                          f"confidence must be between 0 and 1, not {record.confidence}")
    elif isinstance(record, SessionRecord):
        required = {"session_id": record.session_id}
    elif isinstance(record, InstructionsRecord):
        required = {"agent": record.agent}
        if checker.path != instructions_path(record.agent):
            checker.error(checker.key_line("agent"), f"the instructions of agent {record.agent!r} belong in "
                          f"{instructions_path(record.agent)}")
    elif isinstance(record, FeedbackRecord):
        required = {"signal": record.signal}
        if not -1 <= record.score <= 1:
            checker.error(checker.key_line("score"), f"score must be between -1 and 1, not {record.score}")
        if record.signal not in FEEDBACK_SIGNALS:
            checker.warn(checker.key_line("signal"), f"unknown signal {record.signal!r} (known: "
                         f"{', '.join(FEEDBACK_SIGNALS)}); counted by its score only")
    for key, value in required.items():
        if not str(value or "").strip():
            checker.error(checker.key_line(key), f"missing required field {key!r}")
    for key in ("created", "updated", "expires"):
        value = getattr(record, key)
        line = checker.find_key(key)  # a missing 'updated' is filled from 'created': report that once
        if line is not None and value and not _TIMESTAMP.match(str(value)):
            checker.error(line, f"{key} must be an ISO 8601 date or time, not {value!r}")
    if record.status == "superseded" and not record.superseded_by:
        checker.warn(checker.key_line("status"), "superseded, but 'superseded_by' does not say by what")


def _check_items(checker: _FileChecker, record: Record) -> None:
    """Item ids unique within the file; events dated; relationships pointing at a [[Target]]."""
    seen: dict[str, int] = {}
    for field, (heading, item_kind) in type(record).ITEM_SECTIONS.items():
        for item in getattr(record, field):
            line = checker.item_line(item)
            if item.id in seen:
                checker.error(line, f"item id {item.id} repeats line {seen[item.id]}")
            else:
                seen[item.id] = line
            if item_kind == "event" and not item.date:
                checker.error(line, f"an event needs a date: '- YYYY-MM-DD: text' (section {heading})")
            if item_kind == "relationship" and not item.target:
                checker.error(line, f"a relationship needs a target: '- relation [[Target]]' (section {heading})")
            for key in ("created", "updated", "expires"):
                value = getattr(item, key)
                if value and not _TIMESTAMP.match(value):
                    checker.error(line, f"item {key} must be an ISO 8601 date or time, not {value!r}")


def symlinks(root: Path, paths: list[str] | None = None) -> list[str]:
    """Repository-relative symlinks: every one in the working tree (``.git`` aside), or those on ``paths``."""
    found: set[str] = set()
    if paths is not None:
        for path in paths:
            parts = path.split("/")
            for end in range(1, len(parts) + 1):
                if os.path.islink(os.path.join(root, *parts[:end])):
                    found.add("/".join(parts[:end]))
                    break
        return sorted(found)
    for dirpath, dirnames, filenames in os.walk(root):
        rel = os.path.relpath(dirpath, root).replace(os.sep, "/")
        prefix = "" if rel == "." else f"{rel}/"
        if not prefix:
            dirnames[:] = [d for d in dirnames if d != ".git"]
        for name in dirnames + filenames:
            if os.path.islink(os.path.join(dirpath, name)):
                found.add(prefix + name)
    return sorted(found)


def validate_repo(repo: MemoryRepo, paths: list[str] | None = None) -> list[Problem]:
    """Every problem in the working tree (hand edits included), sorted by file and line.

    ``paths`` limits the check to those files (default: every record file, ``repo.paths()``);
    cross-file rules (unique ids, dangling links) then only see those files.
    """
    problems: list[Problem] = []
    try:
        RepoConfig.load(repo.root)
    except RecordParseError as exc:
        problems.append(Problem(CONFIG_FILE, exc.line or 1, exc.message))
    links_found = symlinks(repo.root, paths)
    problems.extend(Problem(link, 1, "a symlink: learning_fs never reads or writes through links in a memory "
                                     "repository (replace it with a real file or folder)") for link in links_found)
    first_seen: dict[str, str] = {}
    entities: dict[tuple[str, str | None], set[str]] = {}
    links: list[tuple[str, int, Record, Item]] = []
    written: dict[str, list[vault.Link]] = {}  # the [[links]] of each checked file, as written
    entity_files: dict[str, str] = {}  # an entity's name (casefolded) -> its file, for the fix a warning names
    listed = [*repo.paths(), *repo.paths("instructions"), *repo.paths("feedback")] if paths is None else paths
    for path in listed:
        try:
            text = read_nofollow(str(repo.root), path).decode("utf-8")
        except SymlinkError:
            continue  # reported above
        except UnicodeDecodeError as exc:
            problems.append(Problem(path, 1, f"not UTF-8 text ({exc.reason})"))
            continue
        except OSError as exc:
            problems.append(Problem(path, 1, f"cannot read: {exc.strerror}"))
            continue
        record, checker = _check(path, text)
        problems.extend(checker.problems)
        written[path] = vault.links_in(text)
        if record is None:
            continue
        if record.id in first_seen:
            problems.append(Problem(path, checker.key_line("id"),
                                    f"id {record.id} is also used by {first_seen[record.id]}"))
        else:
            first_seen[record.id] = path
        if isinstance(record, EntityRecord):
            names = entities.setdefault((record.namespace, record.user), set())
            names.update(" ".join(n.split()).casefold() for n in [record.name, *record.aliases])
            entity_files.setdefault(" ".join(record.name.split()).casefold(), path)
            links.extend((path, checker.item_line(i), record, i) for i in record.relationships if i.target)
    dangling: set[tuple[str, int]] = set()
    for path, line, record, item in links:
        known = entities.get((record.namespace, record.user), set())
        if " ".join((item.target or "").split()).casefold() not in known:
            dangling.add((path, line))
            where = "--namespace user --user ID" if record.namespace == USER_NAMESPACE else \
                f"--namespace {record.namespace}"
            problems.append(Problem(path, line, f"[[{item.target}]] names no entity in namespace "
                                    f"{record.namespace!r} (the link dangles): create it with `learning-fs add fact "
                                    f"--entity {item.target!r} {where} TEXT`, or fix the name", "warning"))
    problems.extend(_vault_problems(repo, written, dangling, entity_files))
    return sorted(problems, key=lambda p: (p.path, p.line, p.message))


def _vault_problems(repo: MemoryRepo, written: dict[str, list[vault.Link]], dangling: set[tuple[str, int]],
                    entity_files: dict[str, str]) -> list[Problem]:
    """Links that open no file by Obsidian's rule, and the empty notes Obsidian creates for them."""
    found: list[Problem] = []
    files = list(vault.markdown_files(repo.root))
    resolver = vault.Resolver(files)
    for path, file_links in written.items():
        for link in file_links:
            if (path, link.line) in dangling or resolver.resolve(link.file) is not None:
                continue
            shown = f"[[{link.file}|{link.shown}]]" if link.shown else f"[[{link.file}]]"
            entity = entity_files.get(" ".join((link.shown or link.file).split()).casefold())
            if entity is not None:
                stem = entity.rsplit("/", 1)[-1].removesuffix(".md")
                how = (f"write [[{stem}|{link.shown or link.file}]] (`learning-fs validate --fix` does so in "
                       "relationships)")
            else:
                how = "link to a file's name, or create the note it names"
            found.append(Problem(path, link.line, f"{shown} opens no file in Obsidian (a link resolves by file "
                                 f"name, not by title or alias): {how}", "warning"))
    for path in vault.stray_notes(repo.root, files):
        found.append(Problem(path, 1, "an empty note outside the memory folders (Obsidian creates one when a link "
                             "that opens no file is clicked): delete it; `learning-fs validate --fix` points "
                             "relationship links at their files", "warning"))
    return found
