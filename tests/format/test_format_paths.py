"""Names from people and models become paths that never leave the repository and never collide across users."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from learning_fs.errors import InvalidInputError, UnsafePathError
from learning_fs.format import (
    EntityRecord,
    LearningRecord,
    MemoriesRecord,
    ProfileRecord,
    SessionRecord,
    record_path,
)
from learning_fs.format.layout import user_folder
from learning_fs.format.slugs import MAX_NAME_LENGTH, check_relative_path, check_text, safe_join, safe_segment, slugify

SAFE_PATH = re.compile(r"^[a-z0-9/.-]+$")

TRICKS = [
    "../../etc/passwd", "/etc/passwd", "..", ".", "a/../../b", "..\\..\\windows", "C:\\Windows\\system32",
    "nul\x00byte", "con", "CON", "aux", "lpt1", "com9", "prn.txt",
    "\uff0e\uff0e\uff0fetc",  # fullwidth "../etc"
    "\u2215etc\u2215passwd",  # division slash
    "\u202eexe.txt",  # right-to-left override
    "alice\u200b",  # zero-width space
    "ａｌｉｃｅ",  # fullwidth letters
    "Alice", "ALICE", "alice ", " alice", "alice.", "-alice-", "alice--bob", "\u0430lice",  # Cyrillic a
    "x" * 5000, "é" * 300, "日本語のユーザー", "🙂", "", " ", "\n", "\t\r", ".git", ".git/hooks",
    "alice-3bc51062973c458d",  # looks like the hashed folder of "Alice"
]



def storable(name: str) -> bool:
    """Names a path may be built from; the others are refused (tests/format/test_format_hostile_input.py)."""
    try:
        check_text(name, "a name", single_line=True, max_length=MAX_NAME_LENGTH)
    except InvalidInputError:
        return False
    return True


ANY_TEXT = st.one_of(st.sampled_from(TRICKS), st.text(max_size=300),
                     st.text(alphabet=st.sampled_from("./\\\x00:-_ aA.é\u202e\uff0f"), max_size=40)).filter(storable)


def assert_safe(path: str) -> None:
    assert SAFE_PATH.match(path), path
    assert not path.startswith("/") and ".." not in path.split("/") and "" not in path.split("/")
    assert path.split("/")[0] != ".git"
    assert check_relative_path(path) == path
    assert all(len(segment) <= 80 for segment in path.split("/"))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(user=ANY_TEXT, name=ANY_TEXT, namespace=ANY_TEXT, session=ANY_TEXT)
def test_paths_from_any_names_stay_inside_the_repository(tmp_path_factory: pytest.TempPathFactory, user: str,
                                                         name: str, namespace: str, session: str) -> None:
    assume(user and namespace and session)
    root = tmp_path_factory.getbasetemp() / "repo"
    records = [
        ProfileRecord(user=user), MemoriesRecord(user=user),
        SessionRecord(user=user, session_id=session), SessionRecord(namespace="global", session_id=session),
        EntityRecord(name=name, namespace=namespace), LearningRecord(title=name, namespace=namespace),
        LearningRecord(title=name, namespace="user", user=user),
    ]
    for record in records:
        for disambiguate in (False, True):
            path = record_path(record, disambiguate=disambiguate)
            assert_safe(path)
            resolved = safe_join(root, *path.split("/"))
            assert resolved.is_relative_to(root.resolve())


@settings(max_examples=300, deadline=None)
@given(ids=st.sets(ANY_TEXT.filter(bool), min_size=2, max_size=8))
@example(ids={"Alice", "alice-3bc51062973c458d"})
@example(ids={"alice", "Alice", "ALICE", "alice ", "ａｌｉｃｅ", "\u202ealice", "../alice", "alice/"})
@example(ids={"x" * 250 + "a", "x" * 250 + "b"})
def test_distinct_user_ids_never_share_a_folder(ids: set[str]) -> None:
    folders = {user_folder(user) for user in ids}

    assert len(folders) == len(ids)


@given(user=ANY_TEXT.filter(bool))
def test_nobody_can_pick_the_user_id_that_names_another_users_folder(user: str) -> None:
    folder_name = safe_segment(user)  # a user id anyone could type once they see the folder name
    assume(folder_name != user)

    assert user_folder(folder_name) != user_folder(user)


@given(identifier=ANY_TEXT.filter(bool))
def test_an_identifier_segment_is_one_safe_segment(identifier: str) -> None:
    segment = safe_segment(identifier)

    assert re.fullmatch(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?", segment)
    assert segment not in {"con", "prn", "aux", "nul"} and len(segment) <= 64


def test_clean_ids_keep_their_readable_folder_others_get_a_hash() -> None:
    assert user_folder("alice").endswith("/alice")
    assert safe_segment("Alice").startswith("alice-")
    assert safe_segment("alice-3bc51062973c458d") != "alice-3bc51062973c458d"  # cannot pose as a hashed id
    assert slugify("Café Ünïcode!") == "cafe-unicode"
    assert slugify("con") == "con-x"


@pytest.mark.parametrize("path", ["../x.md", "/etc/passwd", "a/../../b.md", "a\\b.md", "a\x00b.md", ".git/config",
                                  "", "a//b.md", "./a.md", "a/./b.md"])
def test_unsafe_repository_paths_are_refused(path: str) -> None:
    with pytest.raises(UnsafePathError):
        check_relative_path(path)


@pytest.mark.parametrize("segments", [("..", "x"), ("a/b",), ("a\\b",), ("",), ("a\x00",), (".",)])
def test_safe_join_refuses_segments_that_escape(tmp_path: Path, segments: tuple[str, ...]) -> None:
    with pytest.raises(UnsafePathError):
        safe_join(tmp_path, *segments)


def test_a_private_record_needs_its_user() -> None:
    with pytest.raises(UnsafePathError):
        record_path(LearningRecord(title="x", namespace="user"))
    with pytest.raises(UnsafePathError):
        safe_segment("")


def test_layout_is_readable_and_sharded() -> None:
    assert re.fullmatch(r"users/[0-9a-f]{2}/alice/profile\.md", record_path(ProfileRecord(user="alice")))
    assert re.fullmatch(r"users/[0-9a-f]{2}/alice/sessions/s-1\.md",
                        record_path(SessionRecord(user="alice", session_id="s-1")))
    assert re.fullmatch(r"learnings/global/[0-9a-f]{2}/pin-numpy-below-2\.md",
                        record_path(LearningRecord(title="Pin numpy below 2!")))
    assert re.fullmatch(r"entities/sales/[0-9a-f]{2}/acme-corp\.md",
                        record_path(EntityRecord(name="Acme Corp", namespace="sales")))
    learning = LearningRecord(id="lrn-0000000001", title="C++")
    assert re.fullmatch(r"learnings/global/[0-9a-f]{2}/c-[0-9a-f]{6}\.md", record_path(learning, disambiguate=True))
