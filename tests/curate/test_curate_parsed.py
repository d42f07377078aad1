"""The parsed-record cache: a record revived from it prints exactly like the file, and a run reuses it."""

from __future__ import annotations

from pathlib import Path

import pygit2

from learning_fs.curate.parsed import ParsedCache
from learning_fs.format import DecisionRecord, EntityRecord, Item, parse_record
from learning_fs.repo import MemoryRepo
from tests.curate.conftest import MakeCurator
from tests.curate.helpers import learning, memories, memory

HAND_WRITTEN = """---
id: ent-handmade01
kind: entity
name: Acme
entity_type: organization
aliases: [ACME, Acme Inc]
namespace: global
reviewed_on: 2026-01-02
owner: {team: data, on_call: [dana, eli]}
score: 0.75
created: '2026-01-01T00:00:00Z'
updated: '2026-01-01T00:00:00Z'
---

# Acme

Makes anvils.

## Facts
- HQ: Arizona <!-- id=f-1 created=2026-01-01T00:00:00Z pinned=true -->
- ~~HQ: Nevada~~ <!-- id=f-2 status=superseded superseded_by=f-1 -->
- A line a person typed

Free text a person left under the facts.

## Notes from Dana
Ask before changing the export.
"""


def test_a_revived_record_prints_exactly_like_the_parsed_one(tmp_path: Path) -> None:
    records = {
        "entities/global/aa/acme.md": parse_record(HAND_WRITTEN, "entities/global/aa/acme.md"),
        "learnings/global/bb/x.md": learning("X", "Text with\n\nparagraphs and `code`.", tags=["a"]),
        "decisions/global/cc/y.md": DecisionRecord(title="Y", decision="Do y", confidence=0.5,
                                                   alternatives=[Item(id="a-1", text="Do z")]),
        "entities/global/dd/e.md": EntityRecord(name="E", events=[Item(id="e-1", text="Founded", date="2020-01-01")]),
    }
    blobs = {path: str(pygit2.hash(record.to_markdown().encode())) for path, record in records.items()}
    first = ParsedCache(tmp_path).records(blobs, lambda path, blob: records[path])
    again = ParsedCache(tmp_path)

    revived = again.records(blobs, lambda path, blob: (_ for _ in ()).throw(AssertionError("parsed again")))

    assert again.hits == len(records) and again.parsed == 0
    for path, record in records.items():
        copy = revived[path]
        assert isinstance(copy, type(record))
        assert copy.to_markdown() == record.to_markdown() == first[path].to_markdown()  # type: ignore[union-attr]
        assert (copy.path, copy.blob) == (path, blobs[path])


def test_a_second_run_parses_only_what_changed(repo: MemoryRepo, curator: MakeCurator) -> None:
    repo.write(memories("alice", memory("m-1", "Likes tea")))
    for n in range(5):
        repo.write(learning(f"Learning {n}", f"Text number {n}."))
    assert curator().plan().stats.parsed == 6

    repo.write(learning("Learning 0", "Text number 0, revised."))

    assert curator().plan().stats.parsed == 1


def test_a_dry_run_does_not_fill_the_cache(repo: MemoryRepo, curator: MakeCurator) -> None:
    repo.write(learning("Learning", "Text."))

    curator().plan(dry_run=True)

    assert not (repo.derived_dir / "curate" / "records.sqlite").exists()
