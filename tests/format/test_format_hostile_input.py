"""Hostile names and texts get a clear LearningFSError, never a raw UnicodeEncodeError or a bad file.

User ids, entity names and texts come from people and models: a lone surrogate (a bad decode),
a control character or a 5,000-character "name" must be refused with a message saying what and
where, and never reach a path or a file.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from learning_fs.errors import InvalidInputError, LearningFSError
from learning_fs.format import MemoriesRecord
from learning_fs.format.items import Item
from learning_fs.format.slugs import check_text, safe_segment, slugify

BAD_IDS = {
    "lone surrogate": "al\ud800ice",
    "low surrogate": "\udc80bob",
    "bell": "bob\x07",
    "newline": "carol\nroot",
    "NUL": "dave\x00",
    "escape sequence": "eve\x1b[31m",
    "too long": "x" * 5000,
}


@pytest.mark.parametrize("name", list(BAD_IDS))
def test_a_bad_identifier_is_refused_with_a_clear_error(name: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        safe_segment(BAD_IDS[name])
    message = str(caught.value)
    assert "surrogate" in message or "control character" in message or "limit" in message
    assert isinstance(caught.value, LearningFSError)


@pytest.mark.parametrize("text", ["tea \udc80 green", "nul\x00byte"])
def test_an_item_text_that_cannot_be_stored_is_refused(text: str) -> None:
    with pytest.raises(InvalidInputError, match="item's text"):
        Item(id="m-0000000001", text=text)


def test_tabs_newlines_and_every_script_are_fine() -> None:
    assert check_text("Zürich\tŁódź\n東京 🚀", "text") == "Zürich\tŁódź\n東京 🚀"
    assert slugify("Ølstykke") == "olstykke"
    assert safe_segment("alice") == "alice"


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet=st.characters(codec=None), max_size=40))
def test_any_identifier_either_becomes_a_clean_segment_or_a_learning_fs_error(identifier: str) -> None:
    try:
        segment = safe_segment(identifier)
    except LearningFSError:
        return
    assert segment and "/" not in segment and ".." not in segment
    assert segment.isascii()
    MemoriesRecord(user=identifier, memories=[]).to_markdown().encode("utf-8")  # always writable
