"""Three-way merge of record files that knows the format: by item id, per frontmatter key, diff3 for text.

Why: two machines (or two proposal branches) that each add a memory for the same user both
append to ``## Memories`` and both move ``updated:``; a textual merge calls that a conflict and
leaves markers that break the YAML, so the file stops parsing. Merged as records, the two
additions are simply both kept. What may merge how (docs/format.md#merging):

- **Items** (every ``ITEM_SECTIONS`` list of every kind: memories, facts, events, relationships,
  plan and progress steps, alternatives) by id: an item added on either side is kept (ours in
  place, theirs after the item it followed there), changed or deleted on one side takes that
  change; fields changed on different sides both apply; the same field changed differently on
  both sides, or a change against a deletion, is a conflict.
- **Frontmatter** per key: ``updated`` is the later of the two, ``created`` the earlier, ``source``
  follows the later ``updated``; list fields (``tags``, ``aliases``, ``merged_from``) merge as
  sets; mappings (``fields``, unknown keys) per key; any other value changed differently on both
  sides is a conflict. Two files both sides created for one path (one user's ``memories.md``)
  keep the smaller id and list the other in ``merged_from``.
- **Free text** (the preamble, text sections, people's own sections and notes) line-wise with
  :mod:`~learning_fs.format.diff3`: a conflict only where both sides changed the same lines.

A conflict never makes the file invalid: the record keeps our version of each conflicting part
and a ``## Merge conflict`` section lists each one (ours and theirs, between the usual
``<<<<<<<``/``=======``/``>>>>>>>`` markers, inside a fenced block so nothing in it parses as
items), with ``merge_conflict: true`` in the frontmatter; ``learning-fs validate`` reports both
with ``file:line``. A side that does not parse is kept the same way, whole.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from learning_fs.errors import RecordParseError
from learning_fs.format import frontmatter
from learning_fs.format.diff3 import Chunk, merge_lines, split_lines
from learning_fs.format.ids import content_id
from learning_fs.format.items import Item, item_to_line
from learning_fs.format.layout import kind_from_path
from learning_fs.format.records import RECORD_TYPES, Record, parse_record

CONFLICT_KEY = "merge_conflict"
CONFLICT_HEADING = "Merge conflict"
CONFLICT_ENTRY = "### Conflict "
CONFLICT_INTRO = (
    "learning-fs could not merge the changes below (ours: the branch merged into; theirs: the one merged "
    "in). The record above keeps ours unless an entry says otherwise. For each entry, edit the record to "
    "the version you want and delete the entry; when none is left, delete this section and "
    f"`{CONFLICT_KEY}` from the frontmatter."
)
_MISSING: Any = object()  # a frontmatter key a version does not have
_SET_FIELDS_CACHE: dict[type[Record], frozenset[str]] = {}
_BACKTICKS = re.compile(r"^\s*(`{3,})")


@dataclass(frozen=True)
class MergeConflict:
    """One part two sides changed differently, and where the merged file shows it."""

    path: str  # repo-relative path ("" when unknown)
    line: int  # 1-based line in the merged text where the conflict is shown
    what: str  # human sentence: which item/key/lines conflicted and how to resolve

    def __str__(self) -> str:
        return f"{self.path or '<file>'}:{self.line}: {self.what}"


@dataclass(frozen=True)
class MergeResult:
    """The merged file (always one the format parses for record files) and its conflicts."""

    text: str
    conflicts: tuple[MergeConflict, ...] = ()

    @property
    def clean(self) -> bool:
        """True when both sides' changes merged without a conflict."""
        return not self.conflicts


@dataclass
class _Entry:
    """A conflict found while merging, before it is rendered: a title and the two versions."""

    title: str
    how: str
    ours: list[str]
    theirs: list[str]
    whole: str | None = None  # a whole file that did not parse, shown instead of ours/theirs

    def render(self, number: int) -> str:
        if self.whole is not None:
            body = self.whole.rstrip("\n").split("\n")
        else:
            body = ["<<<<<<< ours (kept above)", *self.ours, "=======", *self.theirs, ">>>>>>> theirs"]
        fence = "`" * max([3, *(len(m.group(1)) + 1 for m in map(_BACKTICKS.match, body) if m)])
        return "\n".join([f"{CONFLICT_ENTRY}{number}: {self.title}", self.how, f"{fence}text", *body, fence])


@dataclass
class _Merger:
    """Merges one record's parts, collecting conflicts; ``newer_is_ours`` decides ``source``."""

    newer_is_ours: bool = True
    entries: list[_Entry] = field(default_factory=list)

    def conflict(self, title: str, ours: list[str], theirs: list[str], how: str = "") -> None:
        self.entries.append(_Entry(title, how or "Keep one version (or combine them) in the record above.",
                                   ours, theirs))

    # -- values -----------------------------------------------------------------------------
    def value(self, label: str, base: Any, ours: Any, theirs: Any) -> Any:
        """One frontmatter value: either side's change, or a conflict keeping ours."""
        if ours == theirs:
            return ours
        if base == ours:
            return theirs
        if base == theirs:
            return ours
        if isinstance(ours, dict) and isinstance(theirs, dict):
            return self.mapping(label, base if isinstance(base, dict) else {}, ours, theirs)
        self.conflict(f"frontmatter `{label}` changed differently on both sides",
                      _show_value(label, ours), _show_value(label, theirs))
        return ours

    def mapping(self, label: str, base: dict[str, Any], ours: dict[str, Any], theirs: dict[str, Any]) -> dict[str, Any]:
        """A mapping per key: keys added on either side kept, ours' order first."""
        merged: dict[str, Any] = {}
        for key in _ordered_union(list(base), list(ours), list(theirs)):
            value = self.value(f"{label}.{key}" if label else key, base.get(key, _MISSING),
                               ours.get(key, _MISSING), theirs.get(key, _MISSING))
            if value is not _MISSING:
                merged[key] = value
        return merged

    def set_list(self, base: list[Any], ours: list[Any], theirs: list[Any]) -> list[Any]:
        """A list the format treats as a set: additions from both, removals from both."""
        removed = {v for v in base if v not in ours or v not in theirs}
        out: list[Any] = []
        for value in [*ours, *theirs]:
            if value not in removed and value not in out:
                out.append(value)
        return out

    # -- text -------------------------------------------------------------------------------
    def text(self, label: str, base: str, ours: str, theirs: str) -> str:
        """Free text, line-wise; a conflicting hunk keeps ours and is listed."""
        if ours == theirs or base == theirs:
            return ours
        if base == ours:
            return theirs
        out: list[str] = []
        for chunk in merge_lines(split_lines(base), split_lines(ours), split_lines(theirs)):
            if chunk.conflict:
                self.conflict(f"{label}: the same lines changed differently on both sides",
                              list(chunk.ours), list(chunk.theirs))
                out.extend(chunk.ours)
            else:
                out.extend(chunk.lines)
        return "\n".join(out)

    # -- items ------------------------------------------------------------------------------
    def items(self, heading: str, item_kind: str, base: list[Item], ours: list[Item],
              theirs: list[Item]) -> list[Item]:
        """An owned list merged by item id (a repeated id counts as a separate item)."""
        b, o, t = _keyed(base, _item_key), _keyed(ours, _item_key), _keyed(theirs, _item_key)
        merged: dict[Hashable, Item] = {}
        for key in {**o, **t}:
            item = self.item(heading, item_kind, b.get(key), o.get(key), t.get(key))
            if item is not None:
                merged[key] = item
        out = [merged[k] for k in _order(list(b), list(o), list(t), merged)]
        if item_kind == "event" and _dated(ours) and _dated(theirs):
            out.sort(key=lambda item: item.date or "")  # both sides kept the timeline in date order: so does the merge
        return out

    def item(self, heading: str, item_kind: str, base: Item | None, ours: Item | None,
             theirs: Item | None) -> Item | None:
        if ours == theirs:
            return ours
        if base == ours:
            return theirs
        if base == theirs:
            return ours
        label = f"`## {heading}` item {(ours or theirs or base).id}"  # type: ignore[union-attr]
        if ours is None or theirs is None:
            kept = ours or theirs
            assert kept is not None
            self.conflict(f"{label}: changed on one side, deleted on the other",
                          [item_to_line(ours, item_kind)] if ours else ["(deleted)"],
                          [item_to_line(theirs, item_kind)] if theirs else ["(deleted)"],
                          "The changed version is kept above; delete it there if it should go.")
            return kept
        fields = _merge_item_fields(_Merger(self.newer_is_ours), base, ours, theirs)
        if fields is None:
            self.conflict(f"{label}: changed differently on both sides",
                          [item_to_line(ours, item_kind)], [item_to_line(theirs, item_kind)])
            return ours
        return Item(**fields)

    # -- sections ---------------------------------------------------------------------------
    def sections(self, base: list[tuple[str, str]], ours: list[tuple[str, str]],
                 theirs: list[tuple[str, str]]) -> list[tuple[str, str]]:
        """People's own ``## Sections``, matched by heading, their text merged line-wise."""
        b, o, t = (_keyed(s, lambda s: s[0].casefold()) for s in (base, ours, theirs))
        merged: dict[Hashable, tuple[str, str]] = {}
        for key in {**o, **t}:
            bs, os_, ts = b.get(key), o.get(key), t.get(key)
            if os_ is not None and ts is not None:
                merged[key] = (os_[0], self.text(f"`## {os_[0]}`", bs[1] if bs else "", os_[1], ts[1]))
            elif (kept := os_ or ts) != bs:  # added, or changed on one side and deleted on the other
                assert kept is not None
                if bs is not None:
                    self.conflict(f"`## {kept[0]}` changed on one side, deleted on the other",
                                  _section_lines(os_), _section_lines(ts),
                                  "The changed section is kept above; delete it there if it should go.")
                merged[key] = kept
        return [merged[k] for k in _order(list(b), list(o), list(t), merged)]


def _dated(items: list[Item]) -> bool:
    dates = [item.date or "" for item in items]
    return dates == sorted(dates)


def _item_key(item: Item) -> str:
    return item.id


def _keyed(values: Sequence[Any], key: Callable[[Any], str]) -> dict[Hashable, Any]:
    """Values by key; the n-th repeat of a key becomes ``(key, n)`` so nothing is dropped."""
    out: dict[Hashable, Any] = {}
    seen: dict[str, int] = {}
    for value in values:
        k = key(value)
        n = seen.get(k, 0)
        seen[k] = n + 1
        out[k if n == 0 else (k, n)] = value
    return out


def _order(base: list[Hashable], ours: list[Hashable], theirs: list[Hashable],
           kept: dict[Hashable, Any]) -> list[Hashable]:
    """Ours' order; each of theirs' additions right after the item it followed in theirs.

    Items only ours added after that same item come first, so the order is deterministic and a
    merge of two appends reads "ours, then theirs" as git users expect.
    """
    ours_set, theirs_set, base_set = set(ours), set(theirs), set(base)
    chains: dict[Hashable, list[Hashable]] = {}
    anchor: Hashable = _MISSING
    for key in theirs:
        if key in ours_set:
            anchor = key
        elif key in kept:
            chains.setdefault(anchor, []).append(key)
    out: list[Hashable] = []
    pending = chains.get(_MISSING, [])
    for key in ours:
        ours_only = key not in base_set and key not in theirs_set
        if pending and not ours_only:
            out.extend(pending)
            pending = []
        if key in kept:
            out.append(key)
        if key in chains:
            out.extend(pending)
            pending = list(chains[key])
    out.extend(pending)
    return out


def _ordered_union(*lists: Iterable[str]) -> list[str]:
    out: dict[str, None] = {}
    for keys in lists[1:] + lists[:1]:  # ours, theirs, then keys only base had
        out.update(dict.fromkeys(keys))
    return list(out)


def _merge_item_fields(merger: _Merger, base: Item | None, ours: Item, theirs: Item) -> dict[str, Any] | None:
    """An item changed on both sides, field by field; None when one field conflicts."""
    defaults = base.model_dump() if base is not None else {**Item(id=ours.id).model_dump(), "created": _MISSING}
    o, t = ours.model_dump(), theirs.model_dump()
    fields: dict[str, Any] = {}
    for name in o:
        if name == "created" and o[name] != t[name] and defaults[name] not in (o[name], t[name]):
            fields[name] = min(v for v in (o[name], t[name]) if v) if o[name] or t[name] else None
        elif name == "updated" and o[name] != t[name]:
            fields[name] = max((v for v in (o[name], t[name]) if v), default=None)
        elif name == "extra":
            fields[name] = merger.mapping("", defaults[name], o[name], t[name])
        else:
            fields[name] = merger.value(name, defaults[name], o[name], t[name])
    return None if merger.entries else fields


def _set_fields(cls: type[Record]) -> frozenset[str]:
    """Fields the format treats as sets: the record's lists of strings (tags, aliases, merged_from)."""
    if cls not in _SET_FIELDS_CACHE:
        _SET_FIELDS_CACHE[cls] = frozenset(n for n, f in cls.model_fields.items() if f.annotation == list[str])
    return _SET_FIELDS_CACHE[cls]


def _show_value(key: str, value: Any) -> list[str]:
    if value is _MISSING or value is None:
        return [f"(no {key})"]
    return frontmatter.dump({key.rsplit(".", 1)[-1]: value}).rstrip("\n").split("\n")


def _section_lines(section: tuple[str, str] | None) -> list[str]:
    return [f"## {section[0]}", *section[1].split("\n")] if section else ["(deleted)"]


def _merge_parsed(base: Record | None, ours: Record, theirs: Record) -> tuple[Record, list[_Entry]]:
    """Merge three parsed records of one kind."""
    cls = type(ours)
    if base is not None and type(base) is not cls:
        base = None
    newer_is_ours = ours.updated >= theirs.updated
    merger = _Merger(newer_is_ours)
    item_fields = {f: section for f, section in cls.ITEM_SECTIONS.items()}
    text_fields = {*cls.TEXT_SECTIONS, "notes", *([cls.PREAMBLE_FIELD] if cls.PREAMBLE_FIELD else [])}
    sets = _set_fields(cls)
    fields: dict[str, Any] = {}
    for name, info in cls.model_fields.items():
        o, t = getattr(ours, name), getattr(theirs, name)
        b = getattr(base, name) if base is not None else info.get_default(call_default_factory=True)
        if name in item_fields:
            heading, item_kind = item_fields[name]
            fields[name] = merger.items(heading, item_kind, b, o, t)
        elif name in text_fields:
            label = f"`## {cls.TEXT_SECTIONS[name]}`" if name in cls.TEXT_SECTIONS else "the text under the title"
            fields[name] = merger.text(label, b, o, t)
        elif name == "extra_sections":
            fields[name] = merger.sections(b, o, t)
        elif name == "section_text":
            fields[name] = {k: v for k in _ordered_union(b, o, t)
                            if (v := merger.text(f"`## {k}` (text among the items)", b.get(k, ""),
                                                 o.get(k, ""), t.get(k, "")))}
        elif name == "extra":
            fields[name] = merger.mapping("", b, o, t)
        elif name in sets:
            fields[name] = merger.set_list(b, o, t)
        elif name == "updated":
            fields[name] = max(o, t)
        elif name == "created" and o != t and b not in (o, t):
            fields[name] = min(v for v in (o, t) if v) if o or t else ""
        elif name == "source":
            fields[name] = o if o == t or b == t else t if b == o else (o if newer_is_ours else t)
        elif name == "id" and o != t and b not in (o, t):
            fields[name] = min(o, t)  # both sides created this file: one id, the other remembered
            fields.setdefault("_other_id", max(o, t))
        else:
            fields[name] = merger.value(name, b, o, t)
    other = fields.pop("_other_id", None)
    if other is not None and other not in fields["merged_from"]:
        fields["merged_from"] = [*fields["merged_from"], other]
    record = cls(**fields)
    return record, merger.entries


def _with_conflicts(record: Record, entries: list[_Entry], path: str) -> MergeResult:
    """Render the record, adding the ``## Merge conflict`` section and flag when there are entries."""
    if not entries:
        return MergeResult(record.to_markdown())
    sections = list(record.extra_sections)
    at = next((i for i, (h, _) in enumerate(sections) if h.casefold() == CONFLICT_HEADING.casefold()), None)
    earlier = sections[at][1] if at is not None else CONFLICT_INTRO
    start = sum(1 for line in earlier.split("\n") if line.startswith(CONFLICT_ENTRY)) + 1
    rendered = [entry.render(start + n) for n, entry in enumerate(entries)]
    text = "\n\n".join([earlier, *rendered])
    if at is None:
        sections.append((CONFLICT_HEADING, text))
    else:
        sections[at] = (sections[at][0], text)
    record = record.model_copy(update={"extra_sections": sections, "extra": {**record.extra, CONFLICT_KEY: True}})
    out = record.to_markdown()
    lines = out.split("\n")
    found: list[MergeConflict] = []
    for n, entry in enumerate(entries):
        marker = f"{CONFLICT_ENTRY}{start + n}: {entry.title}"
        line = next((i + 1 for i, text_line in enumerate(lines) if text_line == marker), 1)
        found.append(MergeConflict(path, line, f"merge conflict: {entry.title}. {entry.how} Then delete "
                                   f"the entry (and, when none is left, the section and `{CONFLICT_KEY}`)."))
    return MergeResult(out, tuple(found))


def _parse(text: str | None, path: str) -> tuple[Record | None, RecordParseError | None]:
    if text is None:
        return None, None
    try:
        return parse_record(text, path or "merged.md"), None
    except RecordParseError as exc:
        return None, exc


def _whole_file(base: str | None, ours: str, theirs: str, path: str, records: dict[str, Record | None],
                errors: dict[str, RecordParseError | None]) -> MergeResult:
    """A side that does not parse (or two different records): a textual merge if it parses, else kept whole."""
    textual = merge_text(base, ours, theirs, path)
    if textual.clean and _parse(textual.text, path)[0] is not None:
        return textual
    keep = next((side for side in ("ours", "theirs", "base") if records.get(side) is not None), None)
    if keep is not None:
        record = records[keep]
        assert record is not None
    else:
        kind = kind_from_path(path)
        if kind is None or kind not in RECORD_TYPES:
            return textual  # not a record file: nothing the format could hold it in
        record = RECORD_TYPES[kind](id=content_id(kind, path))
    texts = {"ours": ours, "theirs": theirs}
    kept = {"ours": "The record above is ours", "theirs": "The record above is theirs",
            "base": "Neither side parses, so the record above is the base version",
            None: "Neither version parses, so the record above is a new, empty one"}[keep]
    entries = []
    for side in ("ours", "theirs"):
        if side == keep:
            continue
        error = errors.get(side)
        why = f"does not parse ({error})" if error else f"is a different record ({_identity(records[side])})"
        entries.append(_Entry(f"{side} {why}; its whole file follows",
                              f"{kept}: copy what should stay into it.", [], [], whole=texts[side]))
    return _with_conflicts(record, entries, path)


def _identity(record: Record | None) -> str:
    return f"{record.kind} {record.id}" if record is not None else "unknown"


def merge_records(base: str | None, ours: str, theirs: str, path: str = "") -> MergeResult:
    """Merge three versions of a record file (``base`` None: both sides added it).

    The result always parses when the merge had to combine anything (a version returned
    unchanged, because the other side did not touch the file, is returned byte for byte).
    """
    if ours == theirs or base == theirs:
        return MergeResult(ours)
    if base == ours:
        return MergeResult(theirs)
    (b, _), (o, o_err), (t, t_err) = _parse(base, path), _parse(ours, path), _parse(theirs, path)
    if o is None or t is None or type(o) is not type(t):
        return _whole_file(base, ours, theirs, path, {"base": b, "ours": o, "theirs": t},
                           {"ours": o_err, "theirs": t_err})
    record, entries = _merge_parsed(b, o, t)
    return _with_conflicts(record, entries, path)


def merge_files(base: Path, ours: Path, theirs: Path, path: str) -> MergeResult:
    """git's merge driver (``learning-fs merge-file %O %A %B %P``): merge three files, write the result over ``ours``.

    Record paths merge with :func:`merge_records` (the result always parses), other files with
    :func:`merge_text` (git's markers). git passes an empty ``%O`` when both sides added the
    file. Here rather than in the git layer so the driver, one process per file, imports no git.
    """
    def read(file: Path) -> str:
        return file.read_bytes().decode("utf-8", errors="surrogateescape")

    base_text = read(base)
    merge = merge_records if kind_from_path(path) is not None else merge_text
    result = merge(base_text or None, read(ours), read(theirs), path)
    ours.write_bytes(result.text.encode("utf-8", errors="surrogateescape"))
    return result


def merge_text(base: str | None, ours: str, theirs: str, path: str = "") -> MergeResult:
    """Line-wise three-way merge with git's conflict markers (for files that are not records)."""
    if ours == theirs or base == theirs:
        return MergeResult(ours)
    if base == ours:
        return MergeResult(theirs)
    out: list[str] = []
    conflicts: list[MergeConflict] = []
    for chunk in merge_lines(split_lines(base or ""), split_lines(ours), split_lines(theirs)):
        if chunk.conflict:
            conflicts.append(MergeConflict(path, len(out) + 1, _text_conflict_what(chunk)))
            out.extend(["<<<<<<< ours", *chunk.ours, "=======", *chunk.theirs, ">>>>>>> theirs"])
        else:
            out.extend(chunk.lines)
    return MergeResult("\n".join(out), tuple(conflicts))


def _text_conflict_what(chunk: Chunk) -> str:
    return (f"merge conflict: both sides changed the same lines ({len(chunk.ours)} of ours, "
            f"{len(chunk.theirs)} of theirs); keep the version you want and delete the marker lines")


_FENCE_OPEN = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_GIT_MARKER = re.compile(r"^(<{7}|>{7})(\s|$)")


def find_conflicts(text: str) -> list[tuple[int, str]]:
    """Where a file shows an unresolved merge, as ``(1-based line, how to fix it)`` (for ``validate``).

    Finds the ``merge_conflict`` frontmatter key, each entry of a ``## Merge conflict`` section,
    and git's own ``<<<<<<<``/``>>>>>>>`` marker lines outside code fences (a file git merged
    without the record merge driver whose frontmatter still parses).
    """
    lines = text.removeprefix("\ufeff").split("\n")
    found: list[tuple[int, str]] = []
    start = 0
    if lines and lines[0].rstrip() == frontmatter.DELIMITER:
        for index in range(1, len(lines)):
            if lines[index].rstrip() in (frontmatter.DELIMITER, "..."):
                start = index + 1
                break
            if lines[index].startswith(f"{CONFLICT_KEY}:"):
                found.append((index + 1, "unresolved merge conflict: resolve each entry under "
                              f"`## {CONFLICT_HEADING}`, then delete that section and this key"))
    fence: str | None = None
    in_section = False
    for index in range(start, len(lines)):
        line = lines[index]
        match = _FENCE_OPEN.match(line)
        if fence is not None:
            if match and match.group(1)[0] == fence[0] and len(match.group(1)) >= len(fence) \
                    and not line.strip()[len(match.group(1)):].strip():
                fence = None
            continue
        if match:
            fence = match.group(1)
        elif line.startswith("## "):
            in_section = line[3:].strip().casefold() == CONFLICT_HEADING.casefold()
        elif in_section and line.startswith(CONFLICT_ENTRY):
            title = line[len(CONFLICT_ENTRY):].split(": ", 1)[-1]
            found.append((index + 1, f"merge conflict: {title}; edit the record to the version you want, "
                          "then delete this entry"))
        elif _GIT_MARKER.match(line):
            found.append((index + 1, "git conflict marker: keep the version you want, delete the "
                          "<<<<<<< / ======= / >>>>>>> lines (`learning-fs install-hooks` makes git merge "
                          "record files without them)"))
    return found
