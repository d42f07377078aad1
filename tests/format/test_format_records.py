"""The file format: every kind round-trips, prints deterministically, and keeps what people add by hand."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from learning_fs.format import (
    DecisionRecord,
    EntityRecord,
    Item,
    LearningRecord,
    MemoriesRecord,
    ProfileRecord,
    Provenance,
    Record,
    SessionRecord,
    parse_record,
)
from learning_fs.format.ids import content_id

T0 = "2026-01-02T03:04:05Z"
SOURCE = Provenance(user="alice", session="s-1", agent="support-bot", mode="agentic", store="learning")


def one_of_each_kind() -> list[Record]:
    """A record of every kind with every field the kind owns filled in."""
    return [
        ProfileRecord(user="alice", fields={"name": "Alice", "timezone": "Europe/Paris", "languages": ["fr", "en"]},
                      source=SOURCE, created=T0),
        MemoriesRecord(user="alice", created=T0, memories=[
            Item(id="m-1", text="Prefers short answers", created=T0, session="s-1"),
            Item(id="m-2", text="Lives in Lyon", status="superseded", superseded_by="m-3"),
            Item(id="m-3", text="Lives in Paris", expires="2027-01-01T00:00:00Z"),
        ]),
        SessionRecord(user="alice", session_id="s-1", summary="Fixing the CI build.", goal="A green build",
                      created=T0, plan=[Item(id="p-1", text="Pin dependencies", done=True),
                                        Item(id="p-2", text="Re-run the pipeline", done=False)],
                      progress=[Item(id="g-1", text="Pinned numpy")]),
        EntityRecord(name="Acme Corp", entity_type="company", aliases=["Acme", "ACME Inc."], namespace="sales",
                     description="A customer since 2024.", created=T0, tags=["customer"],
                     facts=[Item(id="f-1", text="Uses PostgreSQL 16", created=T0),
                            Item(id="f-2", text="Uses PostgreSQL 15", status="superseded", superseded_by="f-1")],
                     events=[Item(id="e-1", text="Signed the renewal", date="2026-02-01")],
                     relationships=[Item(id="r-1", relation="works_with", target="Globex", text="since 2024"),
                                    Item(id="r-2", relation="owns", target="Acme Labs")]),
        LearningRecord(title="Pin numpy below 2 for the old wheels", learning="Pin `numpy<2` when building wheels.",
                       context="The 1.x ABI broke the build.\nSeen twice in October.", tags=["python", "ci"],
                       source=SOURCE, created=T0, merged_from=["lrn-aaaaaaaaaa"]),
        DecisionRecord(title="Use uv for installs", decision="Switch CI installs to uv.",
                       reasoning="Three times faster.", confidence=0.8, outcome="Builds went from 6 to 2 minutes.",
                       outcome_quality="good", created=T0,
                       alternatives=[Item(id="a-1", text="pip-tools"), Item(id="a-2", text="Poetry")]),
    ]


@pytest.mark.parametrize("record", one_of_each_kind(), ids=lambda r: r.kind)
def test_every_kind_round_trips_through_its_markdown(record: Record) -> None:
    text = record.to_markdown()

    parsed = parse_record(text, "some/path.md")

    assert parsed == record
    assert type(parsed) is type(record)
    assert parsed.to_markdown() == text  # printing is stable: an unchanged record is an empty diff
    assert parsed.path == "some/path.md"


@pytest.mark.parametrize("record", one_of_each_kind(), ids=lambda r: r.kind)
def test_files_read_well_in_a_diff(record: Record) -> None:
    text = record.to_markdown()
    front = text.split("---\n")[1]
    keys = [line.split(":")[0] for line in front.splitlines() if re.match(r"^[a-z_]+:", line)]

    assert keys[:2] == ["id", "kind"]
    assert keys.index("created") < keys.index("updated")
    assert f"created: '{T0}'" in text
    for field, (_, _kind) in record.ITEM_SECTIONS.items():
        for item in getattr(record, field):  # one item per line, its id on that line
            assert len([line for line in text.splitlines() if f"id={item.id} " in line]) == 1
    assert text.endswith("\n") and not text.endswith("\n\n")


def test_superseded_items_stay_in_the_file_struck_through() -> None:
    entity = one_of_each_kind()[3]

    text = entity.to_markdown()

    assert "- ~~Uses PostgreSQL 15~~ <!-- id=f-2 status=superseded superseded_by=f-1 -->" in text
    assert "- works_with [[Globex]]: since 2024 <!-- id=r-1 -->" in text
    assert "- 2026-02-01: Signed the renewal <!-- id=e-1 -->" in text


HAND_EDITED = """---
id: ent-h4nd3d1t00
kind: entity
name: Globex
entity_type: company
reviewed_by: carol
priority: 3
namespace: global
status: active
created: '2026-01-01T00:00:00Z'
updated: '2026-01-01T00:00:00Z'
---

# Globex

A supplier. Carol's note: call before Friday.

## Facts
- Ships from Rotterdam <!-- id=f-0000000001 reviewer=carol -->
- Typed by a person without any metadata

Free text a person wrote between the facts.

## Phone numbers
+31 10 000 0000 (sales)

## Events
- 2026-03-01: Price increase <!-- id=e-0000000001 -->
"""


def test_hand_edits_survive_when_the_library_rewrites_the_file() -> None:
    record = parse_record(HAND_EDITED, "entities/global/aa/globex.md")
    assert isinstance(record, EntityRecord)

    record.facts.append(Item(id="f-new", text="Pays in EUR"))
    text = record.to_markdown()

    assert "reviewed_by: carol\npriority: 3\n" in text  # unknown frontmatter keys kept
    assert "A supplier. Carol's note: call before Friday." in text  # free text kept
    assert "## Phone numbers\n+31 10 000 0000 (sales)" in text  # a section the library does not own
    assert "Free text a person wrote between the facts." in text
    assert "- Ships from Rotterdam <!-- id=f-0000000001 reviewer=carol -->" in text  # unknown item metadata
    assert "- Pays in EUR <!-- id=f-new -->" in text
    assert parse_record(text, "x.md").extra == {"reviewed_by": "carol", "priority": 3}


def test_a_bullet_typed_by_hand_gets_a_stable_content_id() -> None:
    first = parse_record(HAND_EDITED, "x.md")
    second = parse_record(HAND_EDITED, "x.md")
    assert isinstance(first, EntityRecord) and isinstance(second, EntityRecord)

    typed = first.facts[1]

    assert typed.text == "Typed by a person without any metadata"
    assert typed.id == second.facts[1].id == content_id("fact", typed.text)
    assert typed.id.startswith("f-")
    # Written back with that id, it keeps it: the id does not depend on whether the line had one.
    rewritten = parse_record(first.to_markdown(), "x.md")
    assert isinstance(rewritten, EntityRecord)
    assert f"- Typed by a person without any metadata <!-- id={typed.id} -->" in first.to_markdown()
    assert rewritten.facts[1].id == typed.id


def test_a_hand_written_comment_is_text_not_metadata() -> None:
    text = HAND_EDITED.replace("- Typed by a person without any metadata",
                               "- Check the invoice <!-- ask Carol -->")
    record = parse_record(text, "x.md")
    assert isinstance(record, EntityRecord)

    assert record.facts[1].text == "Check the invoice <!-- ask Carol -->"
    assert "- Check the invoice <!-- ask Carol --> <!-- id=" in record.to_markdown()


def test_touch_changes_only_the_updated_line() -> None:
    record = one_of_each_kind()[4]
    record.updated = T0
    before = record.to_markdown().splitlines()

    record.touch()
    after = record.to_markdown().splitlines()

    changed = [(a, b) for a, b in zip(before, after, strict=True) if a != b]
    assert len(changed) == 1 and changed[0][0].startswith("updated:") and changed[0][1].startswith("updated:")


def test_yaml_timestamps_a_person_types_are_normalised_to_utc() -> None:
    text = "---\nid: lrn-1\nkind: learning\ntitle: T\ncreated: 2026-01-01T12:00:00+02:00\nupdated: 2026-01-05\n---\n"

    record = parse_record(text, "x.md")

    assert record.created == "2026-01-01T10:00:00Z"
    assert record.updated == "2026-01-05"


def test_new_records_get_typed_ids_and_timestamps() -> None:
    record = LearningRecord(title="T")

    assert re.fullmatch(r"lrn-[0-9a-z]{10}", record.id)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", record.created)
    assert record.updated == record.created
    assert LearningRecord(title="T").id != record.id


# -- text that looks like Markdown structure must stay text --------------------------------------
_ATOMS = st.sampled_from(["## ", "# ", "```", "~~", "[ ] ", "[x] ", "<!-- ", " -->", "\\", "- ", "id=", '"', "a",
                          "b c", ":", "[[", "]]", "|", "é", " ", "---", "\t", "### "])
_LINE = st.lists(_ATOMS, min_size=1, max_size=6).map("".join).map(lambda s: " ".join(s.split())).filter(bool)
_TEXT = st.lists(st.lists(_ATOMS, max_size=6).map("".join), max_size=4).map(lambda lines: "\n".join(lines).strip())


def _balanced_fences(text: str) -> bool:
    return sum(1 for line in text.split("\n") if re.match(r"\s*(```|~~~)", line)) % 2 == 0


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=_LINE, learning=_TEXT, context=_TEXT, fact=_LINE, struck=st.booleans())
def test_text_that_looks_like_markdown_structure_round_trips(title: str, learning: str, context: str, fact: str,
                                                             struck: bool) -> None:
    learned = LearningRecord(title=title, learning=learning, context=context)
    text = learned.to_markdown()
    parsed = parse_record(text, "x.md")
    assert parsed.to_markdown() == text
    if _balanced_fences(learning) and _balanced_fences(context):  # an open fence is closed, once
        assert parsed == learned

    status = "superseded" if struck else "active"
    entity = EntityRecord(name=title, facts=[Item(id="f-1", text=fact, status=status)],
                          events=[Item(id="e-1", text=fact, date="2026-01-01")],
                          relationships=[Item(id="r-1", relation="knows", target="Bob", text=fact)])
    assert parse_record(entity.to_markdown(), "x.md") == entity


def test_a_heading_inside_a_learning_stays_part_of_it() -> None:
    record = LearningRecord(title="Release steps", learning="Do this:\n## Step one\nTag the release.")

    text = record.to_markdown()
    parsed = parse_record(text, "x.md")

    assert isinstance(parsed, LearningRecord)
    assert parsed.learning == "Do this:\n## Step one\nTag the release."
    assert parsed.extra_sections == []
    assert "\\## Step one" in text  # shown as text, not as a heading, when the file is rendered
