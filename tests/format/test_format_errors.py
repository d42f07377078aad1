"""Broken files give an error that names the file and the line to fix, never a traceback from YAML or pydantic."""

from __future__ import annotations

import pytest

from learning_fs.errors import RecordParseError
from learning_fs.format import parse_record

PATH = "learnings/global/ab/broken.md"

BROKEN = {
    "invalid YAML": ("---\nid: lrn-1\nkind: learning\ntitle: a: b\n---\n", 4, "invalid YAML"),
    "unclosed flow list": ("---\nid: lrn-1\nkind: learning\ntags: [a, b\n---\n", 4, "invalid YAML"),
    "unclosed quote": ('---\nid: lrn-1\nkind: learning\ntitle: "open\nstatus: active\n---\n', 4, "invalid YAML"),
    "tab indentation": ("---\nid: lrn-1\nkind: learning\n\ttitle: x\n---\n", 4, "invalid YAML"),
    "unclosed header": ("---\nid: lrn-1\nkind: learning\n\n# Title\n", 1, "never closed"),
    "missing kind": ("---\nid: lrn-1\ntitle: x\n---\n", 1, "no 'kind'"),
    "no frontmatter": ("# Just a note\n\nSome text.\n", 1, "no 'kind'"),
    "unknown kind": ("---\nid: lrn-1\ntitle: x\nkind: recipe\n---\n", 4, "unknown kind 'recipe'"),
    "not a mapping": ("---\n- a\n- b\n---\n", 2, "mapping"),
    "status of the wrong value": ("---\nid: lrn-1\nkind: learning\ntags:\n- a\n- b\nstatus: bogus\n---\n", 7, "status"),
    "number that is not one": ("---\nid: dec-1\nkind: decision\nsource:\n  user: a\nconfidence: high\n---\n", 6,
                               "confidence"),
    "list that is not one": ("---\nid: lrn-1\nkind: learning\ntags: 5\n---\n", 4, "tags"),
    "id that is a number": ("---\nid: 12\nkind: learning\n---\n", 2, "id"),
    "bad item metadata": ("---\nid: ent-1\nkind: entity\nname: X\n---\n\n# X\n\n## Facts\n- ok <!-- id=f-1 -->\n"
                          "- bad <!-- id=f-2 done=maybe -->\n", 11, "Facts item done"),
}


@pytest.mark.parametrize(("text", "line", "message"), BROKEN.values(), ids=BROKEN.keys())
def test_broken_file_names_file_and_line(text: str, line: int, message: str) -> None:
    with pytest.raises(RecordParseError) as caught:
        parse_record(text, PATH)

    error = caught.value
    assert error.path == PATH
    assert error.line == line
    assert message in error.message
    assert str(error).startswith(f"{PATH}:{line}: ")


def test_a_missing_id_is_not_fatal_and_is_derived_from_the_path() -> None:
    """A hand-written note without an id reads (tests/vault/test_hand_notes.py: validate says how to fix it)."""
    record = parse_record("---\nkind: learning\ntitle: x\n---\n", PATH)

    assert record.id_assigned and record.id.startswith("lrn-") and record.title == "x"


def test_half_quoted_item_metadata_is_read_not_fatal() -> None:
    text = '---\nid: ent-1\nkind: entity\nname: X\n---\n\n## Facts\n- a fact <!-- id="f-1 -->\n'

    record = parse_record(text, PATH)

    assert [(f.id, f.text) for f in record.facts] == [("f-1", "a fact")]  # type: ignore[attr-defined]


def test_a_byte_order_mark_is_not_an_error() -> None:
    record = parse_record("\ufeff---\nid: lrn-1\nkind: learning\ntitle: T\n---\n", PATH)

    assert record.id == "lrn-1"


def test_yaml_is_loaded_safely() -> None:
    text = "---\nid: lrn-1\nkind: learning\ntitle: !!python/object/apply:os.system ['echo pwned']\n---\n"

    with pytest.raises(RecordParseError) as caught:
        parse_record(text, PATH)

    assert caught.value.line == 4
