"""The record-aware three-way merge: concurrent additions never conflict, and a conflict never breaks a file."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from learning_fs.format import (
    DecisionRecord,
    EntityRecord,
    Item,
    LearningRecord,
    MemoriesRecord,
    ProfileRecord,
    Record,
    SessionRecord,
    merge_records,
    merge_text,
    parse_record,
)
from learning_fs.format.merge import CONFLICT_KEY, find_conflicts
from learning_fs.ops import check_file

T0, T1, T2 = "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z", "2026-01-03T00:00:00Z"
MEMORIES = "users/3e/alice/memories.md"
ENTITY = "entities/global/1f/acme-corp.md"


def memories(*items: Item, **kw: object) -> MemoriesRecord:
    return MemoriesRecord(id="mem-aaaaaaaaaa", user="alice", created=T0, updated=kw.pop("updated", T0),
                          memories=list(items), **kw)


def ids(record: Record, field: str) -> list[str]:
    return [item.id for item in getattr(record, field)]


def merged(base: Record | None, ours: Record, theirs: Record, path: str = MEMORIES) -> Record:
    result = merge_records(base.to_markdown() if base else None, ours.to_markdown(), theirs.to_markdown(), path)
    assert result.clean, result.conflicts
    return parse_record(result.text, path)


def assert_valid_with_conflicts(text: str, path: str) -> list[str]:
    """The merged file parses; validate reports its conflicts as errors with lines; returns the messages."""
    parse_record(text, path)
    _, problems = check_file(path, text)
    messages = [f"{p.path}:{p.line}: {p.message}" for p in problems]
    assert problems and all(p.line >= 1 for p in problems), messages
    assert any("merge conflict" in m for m in messages), messages
    return messages


# -- items, every kind ----------------------------------------------------------------------------

def test_two_sides_adding_memories_keep_both_ours_first_and_the_later_updated():
    base = memories(Item(id="m-1", text="Likes tea", created=T0))
    ours = memories(*base.memories, Item(id="m-2", text="Ours", created=T1), updated=T1)
    theirs = memories(*base.memories, Item(id="m-3", text="Theirs", created=T2), updated=T2)

    result = merged(base, ours, theirs)

    assert ids(result, "memories") == ["m-1", "m-2", "m-3"]
    assert result.updated == T2


def test_entity_facts_events_and_relationships_merge_by_id():
    base = EntityRecord(id="ent-aaaaaaaaaa", name="Acme Corp", created=T0,
                        facts=[Item(id="f-1", text="Uses Postgres 15")])
    ours = base.model_copy(deep=True)
    ours.facts[0] = Item(id="f-1", text="Uses Postgres 15", status="superseded", superseded_by="f-2")
    ours.facts.append(Item(id="f-2", text="Uses Postgres 16"))
    ours.events.append(Item(id="e-1", date="2026-01-01", text="Renewed"))
    theirs = base.model_copy(deep=True)
    theirs.facts.insert(0, Item(id="f-9", text="Based in Berlin"))
    theirs.relationships.append(Item(id="r-1", relation="employs", target="Alice"))
    theirs.aliases = ["Acme"]

    result = merged(base, ours, theirs, ENTITY)

    assert isinstance(result, EntityRecord)
    assert ids(result, "facts") == ["f-9", "f-1", "f-2"]
    assert result.facts[1].status == "superseded"
    assert ids(result, "events") == ["e-1"] and ids(result, "relationships") == ["r-1"]
    assert result.aliases == ["Acme"]


def test_session_plan_step_done_on_one_side_and_a_new_step_on_the_other():
    base = SessionRecord(id="ses-aaaaaaaaaa", user="alice", session_id="s-1", created=T0,
                         plan=[Item(id="p-1", text="Pin deps", done=False)])
    ours = base.model_copy(deep=True)
    ours.plan[0] = Item(id="p-1", text="Pin deps", done=True)
    ours.progress.append(Item(id="g-1", text="Pinned"))
    theirs = base.model_copy(deep=True)
    theirs.plan.append(Item(id="p-2", text="Re-run CI", done=False))

    result = merged(base, ours, theirs, "users/3e/alice/sessions/s-1.md")

    assert isinstance(result, SessionRecord)
    assert [(i.id, i.done) for i in result.plan] == [("p-1", True), ("p-2", False)]
    assert ids(result, "progress") == ["g-1"]


def test_item_fields_changed_on_different_sides_both_apply():
    base = memories(Item(id="m-1", text="Likes tea"))
    ours = memories(Item(id="m-1", text="Likes green tea"))
    theirs = memories(Item(id="m-1", text="Likes tea", expires="2027-01-01"))

    [item] = merged(base, ours, theirs).memories  # type: ignore[attr-defined]

    assert (item.text, item.expires) == ("Likes green tea", "2027-01-01")


def test_decision_alternatives_reasoning_and_confidence():
    base = DecisionRecord(id="dec-aaaaaaaaaa", title="Use uv", decision="Switch to uv.", created=T0,
                          reasoning="Fast.\nSimple.\nMaintained.", alternatives=[Item(id="a-1", text="pip-tools")])
    ours = base.model_copy(update={"reasoning": "Three times faster.\nSimple.\nMaintained.",
                                   "alternatives": [*base.alternatives, Item(id="a-2", text="Poetry")]})
    theirs = base.model_copy(update={"reasoning": "Fast.\nSimple.\nWell maintained.", "confidence": 0.8,
                                     "alternatives": [*base.alternatives, Item(id="a-3", text="pdm")]})

    result = merged(base, ours, theirs, "decisions/global/00/use-uv.md")

    assert isinstance(result, DecisionRecord)
    assert result.reasoning == "Three times faster.\nSimple.\nWell maintained."
    assert result.confidence == 0.8
    assert ids(result, "alternatives") == ["a-1", "a-2", "a-3"]


def test_profile_fields_merge_per_key_and_unknown_keys_are_kept():
    base = ProfileRecord(id="usr-aaaaaaaaaa", user="alice", created=T0, fields={"name": "Alice"})
    ours = base.model_copy(update={"fields": {"name": "Alice", "timezone": "Europe/Paris"},
                                   "extra": {"team": "data"}, "tags": ["a"]})
    theirs = base.model_copy(update={"fields": {"name": "Alice", "role": "engineer"}, "tags": ["b"]})

    result = merged(base, ours, theirs, "users/3e/alice/profile.md")

    assert isinstance(result, ProfileRecord)
    assert result.fields == {"name": "Alice", "timezone": "Europe/Paris", "role": "engineer"}
    assert result.extra == {"team": "data"}
    assert result.tags == ["a", "b"]


def test_learning_text_merges_line_wise_and_a_deleted_tag_stays_deleted():
    base = LearningRecord(id="lrn-aaaaaaaaaa", title="Pin numpy", learning="Line one.\nLine two.\nLine three.",
                          context="Seen once.", tags=["python", "ci"], created=T0)
    ours = base.model_copy(update={"learning": "Line ONE.\nLine two.\nLine three.", "tags": ["python"]})
    theirs = base.model_copy(update={"learning": "Line one.\nLine two.\nLine THREE.", "context": "Seen twice.",
                                     "tags": ["python", "ci", "wheels"]})

    result = merged(base, ours, theirs, "learnings/global/00/pin-numpy.md")

    assert isinstance(result, LearningRecord)
    assert result.learning == "Line ONE.\nLine two.\nLine THREE."
    assert result.context == "Seen twice."
    assert result.tags == ["python", "wheels"]


def test_people_s_own_sections_and_notes_merge_line_wise():
    base = memories(notes="Note A", extra_sections=[("Mine", "one\ntwo\nthree")])
    ours = memories(notes="Note A\nNote B", extra_sections=[("Mine", "ONE\ntwo\nthree")])
    theirs = memories(notes="Note A", extra_sections=[("Mine", "one\ntwo\nTHREE"), ("Theirs", "new")])

    result = merged(base, ours, theirs)

    assert result.notes == "Note A\nNote B"
    assert result.extra_sections == [("Mine", "ONE\ntwo\nTHREE"), ("Theirs", "new")]


def test_both_sides_creating_the_same_file_keep_one_id_and_remember_the_other():
    ours = MemoriesRecord(id="mem-bbbbbbbbbb", user="alice", created=T1,
                          memories=[Item(id="m-1", text="From clone one")])
    theirs = MemoriesRecord(id="mem-aaaaaaaaaa", user="alice", created=T0,
                            memories=[Item(id="m-2", text="From clone two")])

    result = merged(None, ours, theirs)

    assert result.id == "mem-aaaaaaaaaa" and result.merged_from == ["mem-bbbbbbbbbb"]
    assert result.created == T0
    assert ids(result, "memories") == ["m-1", "m-2"]


# -- conflicts ------------------------------------------------------------------------------------

def test_an_item_changed_differently_on_both_sides_is_a_conflict_in_a_valid_file():
    base = memories(Item(id="m-1", text="Likes tea"), Item(id="m-2", text="Other"))
    ours = memories(Item(id="m-1", text="Likes green tea"), Item(id="m-2", text="Other"), updated=T1)
    theirs = memories(Item(id="m-1", text="Likes black tea"), Item(id="m-2", text="Other"),
                      Item(id="m-3", text="New"), updated=T2)

    result = merge_records(base.to_markdown(), ours.to_markdown(), theirs.to_markdown(), MEMORIES)

    assert not result.clean
    [conflict] = result.conflicts
    assert conflict.path == MEMORIES and "m-1" in conflict.what
    assert result.text.split("\n")[conflict.line - 1].startswith("### Conflict 1: ")
    record = parse_record(result.text, MEMORIES)
    assert ids(record, "memories") == ["m-1", "m-2", "m-3"]  # the clean parts merged, ours kept for m-1
    assert record.memories[0].text == "Likes green tea"  # type: ignore[attr-defined]
    assert record.extra[CONFLICT_KEY] is True
    assert "Likes black tea" in result.text  # theirs is kept too, where no list parses it
    messages = assert_valid_with_conflicts(result.text, MEMORIES)
    assert f"{MEMORIES}:{conflict.line}: merge conflict: `## Memories` item m-1" in "\n".join(messages)
    assert any(m.startswith(f"{MEMORIES}:") and "merge_conflict" not in m and "unresolved" in m
               for m in messages)


def test_a_conflicted_file_merged_again_numbers_new_entries_after_the_old_ones():
    base = memories(Item(id="m-1", text="a"), Item(id="m-2", text="b"))
    a1 = memories(Item(id="m-1", text="a1"), Item(id="m-2", text="b")).to_markdown()
    a2 = memories(Item(id="m-1", text="a2"), Item(id="m-2", text="b")).to_markdown()
    first = merge_records(base.to_markdown(), a1, a2, MEMORIES)
    conflicted = parse_record(first.text, MEMORIES)
    ours = conflicted.model_copy(update={"memories": [conflicted.memories[0], Item(id="m-2", text="b1")]})  # type: ignore[attr-defined]
    theirs = conflicted.model_copy(update={"memories": [conflicted.memories[0], Item(id="m-2", text="b2")]})  # type: ignore[attr-defined]

    second = merge_records(first.text, ours.to_markdown(), theirs.to_markdown(), MEMORIES)

    assert [second.text.split("\n")[c.line - 1][:15] for c in second.conflicts] == ["### Conflict 2:"]
    assert "### Conflict 1:" in second.text
    assert len([m for m in assert_valid_with_conflicts(second.text, MEMORIES) if "then delete this entry" in m]) == 2


def test_a_change_against_a_deletion_keeps_the_changed_item():
    base = memories(Item(id="m-1", text="Likes tea"))
    ours = memories()
    theirs = memories(Item(id="m-1", text="Likes green tea"))

    result = merge_records(base.to_markdown(), ours.to_markdown(), theirs.to_markdown(), MEMORIES)

    assert len(result.conflicts) == 1 and "deleted" in result.conflicts[0].what
    assert parse_record(result.text, MEMORIES).memories[0].text == "Likes green tea"  # type: ignore[attr-defined]


def test_deleted_on_one_side_unchanged_on_the_other_stays_deleted():
    base = memories(Item(id="m-1", text="a"), Item(id="m-2", text="b"))
    ours = memories(Item(id="m-2", text="b"))
    theirs = memories(Item(id="m-1", text="a"), Item(id="m-2", text="b"), Item(id="m-3", text="c"))

    assert ids(merged(base, ours, theirs), "memories") == ["m-2", "m-3"]


def test_a_scalar_changed_differently_on_both_sides_and_a_text_hunk_conflict():
    base = EntityRecord(id="ent-aaaaaaaaaa", name="Acme Corp", entity_type="thing", description="One.\nTwo.",
                        created=T0)
    ours = base.model_copy(update={"entity_type": "company", "description": "One!\nTwo."})
    theirs = base.model_copy(update={"entity_type": "customer", "description": "One?\nTwo."})

    result = merge_records(base.to_markdown(), ours.to_markdown(), theirs.to_markdown(), ENTITY)

    assert [("entity_type" in c.what, "text under the title" in c.what) for c in result.conflicts] == [
        (True, False), (False, True)]
    record = parse_record(result.text, ENTITY)
    assert isinstance(record, EntityRecord)
    assert (record.entity_type, record.description) == ("company", "One!\nTwo.")
    assert "entity_type: customer" in result.text and "One?" in result.text
    assert_valid_with_conflicts(result.text, ENTITY)


def test_a_side_that_does_not_parse_is_kept_whole_in_a_valid_file():
    base = memories(Item(id="m-1", text="a"))
    broken = "---\nid: [unclosed\nkind: memories\n---\n\n## Memories\n- a\n- person's line\n"
    theirs = memories(Item(id="m-1", text="a"), Item(id="m-2", text="library's"), updated=T1)

    result = merge_records(base.to_markdown(), broken, theirs.to_markdown(), MEMORIES)

    assert not result.clean and "ours does not parse" in result.conflicts[0].what
    record = parse_record(result.text, MEMORIES)
    assert ids(record, "memories") == ["m-1", "m-2"]
    assert "- person's line" in result.text and "id: [unclosed" in result.text
    assert_valid_with_conflicts(result.text, MEMORIES)


def test_when_neither_side_parses_the_file_still_does():
    result = merge_records("---\nkind: x\n", "---\nid: [\n", "---\nid: {\n", MEMORIES)

    record = parse_record(result.text, MEMORIES)
    assert record.kind == "memories" and len(result.conflicts) == 2
    assert "id: [" in result.text and "id: {" in result.text


def test_records_of_different_kinds_keep_ours_and_show_theirs_whole():
    ours = memories(Item(id="m-1", text="a"))
    theirs = LearningRecord(id="lrn-aaaaaaaaaa", title="T", learning="L", created=T0)

    result = merge_records(None, ours.to_markdown(), theirs.to_markdown(), MEMORIES)

    assert "different record (learning lrn-aaaaaaaaaa)" in result.conflicts[0].what
    assert parse_record(result.text, MEMORIES).id == "mem-aaaaaaaaaa"


def test_theirs_text_with_fences_and_headings_cannot_break_the_conflict_section():
    base = LearningRecord(id="lrn-aaaaaaaaaa", title="T", learning="x", created=T0)
    ours = base.model_copy(update={"learning": "ours"})
    theirs = base.model_copy(update={"learning": "```python\n## not a section\n````\n- not an item"})

    result = merge_records(base.to_markdown(), ours.to_markdown(), theirs.to_markdown(), "learnings/global/00/t.md")

    record = parse_record(result.text, "learnings/global/00/t.md")
    assert isinstance(record, LearningRecord) and record.learning == "ours"
    assert [h for h, _ in record.extra_sections] == ["Merge conflict"]
    assert "## not a section" in record.extra_sections[0][1]


def test_git_conflict_markers_in_a_body_are_reported_by_validate():
    text = memories(Item(id="m-1", text="a"), notes="<<<<<<< HEAD\nmine\n=======\nyours\n>>>>>>> other").to_markdown()

    lines = [line for line, _ in find_conflicts(text)]

    assert [text.split("\n")[n - 1][:7] for n in lines] == ["<<<<<<<", ">>>>>>>"]
    _, problems = check_file(MEMORIES, text)
    assert {p.line for p in problems} >= set(lines)


# -- merge_text -----------------------------------------------------------------------------------

def test_merge_text_is_diff3_with_git_markers():
    base = "a\nb\nc\n"
    assert merge_text(base, "A\nb\nc\n", "a\nb\nC\n").text == "A\nb\nC\n"
    result = merge_text(base, "a\nX\nc\n", "a\nY\nc\n", "README.md")
    assert result.text == "a\n<<<<<<< ours\nX\n=======\nY\n>>>>>>> theirs\nc\n"
    assert [(c.path, c.line) for c in result.conflicts] == [("README.md", 2)]


def test_merge_text_both_added_shares_common_lines():
    result = merge_text(None, "# Title\nours\n", "# Title\ntheirs\n")
    assert result.text.startswith("# Title\n<<<<<<< ours\nours\n=======\ntheirs\n>>>>>>> theirs\n")


# -- properties -----------------------------------------------------------------------------------

WORDS = st.text(alphabet="abcdefgh ,.", min_size=1, max_size=12).filter(lambda s: s.strip())


@st.composite
def item_lists(draw: st.DrawFn) -> tuple[list[Item], list[Item], list[Item]]:
    """A base list, and disjoint additions for each side (ids never repeat)."""
    n_base, n_ours, n_theirs = draw(st.integers(0, 5)), draw(st.integers(0, 4)), draw(st.integers(0, 4))
    texts = draw(st.lists(WORDS, min_size=n_base + n_ours + n_theirs, max_size=n_base + n_ours + n_theirs))
    made = [Item(id=f"m-{n}", text=t) for n, t in enumerate(texts)]
    return made[:n_base], made[n_base:n_base + n_ours], made[n_base + n_ours:]


def insert_randomly(draw: st.DrawFn, items: list[Item], new: list[Item]) -> list[Item]:
    out = list(items)
    for item in new:
        out.insert(draw(st.integers(0, len(out))), item)
    return out


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_disjoint_item_additions_never_conflict_and_lose_nothing(data):
    base_items, ours_new, theirs_new = data.draw(item_lists())
    base = memories(*base_items)
    ours = memories(*insert_randomly(data.draw, base_items, ours_new), updated=T1)
    theirs = memories(*insert_randomly(data.draw, base_items, theirs_new), updated=T2)

    result = merge_records(base.to_markdown(), ours.to_markdown(), theirs.to_markdown(), MEMORIES)

    assert result.clean
    got = ids(parse_record(result.text, MEMORIES), "memories")
    assert sorted(got) == sorted(i.id for i in base_items + ours_new + theirs_new)
    assert [i for i in got if i in ids(ours, "memories")] == ids(ours, "memories")  # ours' order is kept
    again = merge_records(base.to_markdown(), ours.to_markdown(), theirs.to_markdown(), MEMORIES)
    assert again.text == result.text  # deterministic


@st.composite
def edited(draw: st.DrawFn, items: list[Item]) -> list[Item]:
    """Some items deleted, some changed, some added: anything a side may do to a list."""
    out = []
    for item in items:
        action = draw(st.sampled_from(["keep", "keep", "delete", "change", "supersede"]))
        if action == "change":
            out.append(item.model_copy(update={"text": draw(WORDS)}))
        elif action == "supersede":
            out.append(item.model_copy(update={"status": "superseded"}))
        elif action == "keep":
            out.append(item)
    return insert_randomly(draw, out, [Item(id=f"m-{draw(st.integers(10, 40))}", text=draw(WORDS))
                                       for _ in range(draw(st.integers(0, 2)))])


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_two_edits_merge_into_a_file_that_parses_and_identities_hold(data):
    base_items, _, _ = data.draw(item_lists())
    base = memories(*base_items).to_markdown()
    x = memories(*data.draw(edited(base_items)), tags=data.draw(st.lists(st.sampled_from("abc"), unique=True)),
                 updated=T1).to_markdown()
    y = memories(*data.draw(edited(base_items)), notes=data.draw(st.sampled_from(["", "n1", "n2"])),
                 updated=T2).to_markdown()

    assert merge_records(base, x, x).text == x
    assert merge_records(base, base, x).text == x
    assert merge_records(base, x, base).text == x
    result = merge_records(base, x, y, MEMORIES)
    record = parse_record(result.text, MEMORIES)
    assert bool(result.conflicts) == (CONFLICT_KEY in record.extra)
    assert merge_records(base, x, y, MEMORIES) == result
    kept = set(ids(record, "memories"))
    for side in (x, y):
        for item in parse_record(side, MEMORIES).memories:  # type: ignore[attr-defined]
            if item.id not in {i.id for i in parse_record(base, MEMORIES).memories}:  # type: ignore[attr-defined]
                assert item.id in kept  # an addition is never lost
    if result.conflicts:
        assert_valid_with_conflicts(result.text, MEMORIES)


def test_the_conflict_form_in_docs_format_md_is_what_the_merge_writes():
    import re
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "format.md").read_text(encoding="utf-8")
    [example] = re.findall(r"````md\n(.*?)````", doc, re.S)
    base = memories(Item(id="m-1", text="Likes tea"))
    ours = memories(Item(id="m-1", text="Likes green tea"), updated=T1)
    theirs = memories(Item(id="m-1", text="Likes black tea"), Item(id="m-2", text="Works on billing"), updated=T2)

    result = merge_records(base.to_markdown(), ours.to_markdown(), theirs.to_markdown(), MEMORIES)

    assert result.text == example
    assert_valid_with_conflicts(example, MEMORIES)


def test_events_both_sides_kept_in_date_order_stay_in_date_order():
    events = [Item(id="e-1", date="2026-01-01", text="a"), Item(id="e-2", date="2026-03-01", text="c")]
    base = EntityRecord(id="ent-aaaaaaaaaa", name="Acme Corp", created=T0, events=events)
    ours = base.model_copy(update={"events": [*base.events, Item(id="e-3", date="2026-04-01", text="d")]})
    theirs = base.model_copy(update={"events": [base.events[0], Item(id="e-4", date="2026-02-01", text="b"),
                                                base.events[1], Item(id="e-5", date="2026-05-01", text="e")]})

    result = merged(base, ours, theirs, ENTITY)

    assert [i.text for i in result.events] == ["a", "b", "c", "d", "e"]  # type: ignore[attr-defined]
