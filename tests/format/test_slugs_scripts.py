"""Names in every script become readable, distinct file names; user ids stay injective.

Before transliteration, ``Ølstykke`` became ``lstykke.md`` and ``東京`` an unreadable
``untitled-<hash>.md``; files written that way must still be found by name.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from learning_fs import EntityRecord, MemoryRepo, ops
from learning_fs.format.layout import legacy_record_path, record_path
from learning_fs.format.slugs import legacy_slugify, safe_segment, slugify
from tests.format.test_format_paths import storable

ORIGIN = ops.Origin(store="test")


@pytest.mark.parametrize(("name", "slug"), [
    ("Ølstykke", "olstykke"),
    ("Łódź", "lodz"),
    ("東京", "dong-jing"),
    ("Москва", "moskva"),
    ("Αθήνα", "athena"),
    ("Straße", "strasse"),
    ("Café Ünïcode!", "cafe-unicode"),
])
def test_names_in_any_script_get_readable_slugs(name: str, slug: str) -> None:
    assert slugify(name) == slug


def test_the_three_cities_get_distinct_slugs_and_entity_paths() -> None:
    names = ["Ølstykke", "Łódź", "東京"]
    slugs = [slugify(n) for n in names]
    assert len(set(slugs)) == 3 and not any(s.startswith("untitled") for s in slugs)
    for name, slug in zip(names, slugs, strict=True):
        assert record_path(EntityRecord(name=name)).endswith(f"/{slug}.md")


def test_nothing_to_transliterate_still_falls_back_to_a_hash() -> None:
    assert slugify("😀").startswith("untitled-") and slugify("😀") != slugify("🎉")


@given(st.text(min_size=1, max_size=12).filter(storable), st.text(min_size=1, max_size=12).filter(storable))
def test_user_id_segments_stay_injective(a: str, b: str) -> None:
    if a != b:
        assert safe_segment(a) != safe_segment(b)


def test_user_ids_in_other_scripts_are_readable_and_apart() -> None:
    assert safe_segment("søren").startswith("soren-")
    assert safe_segment("Søren") != safe_segment("søren") != safe_segment("soren")
    assert safe_segment("soren") == "soren"
    assert safe_segment("東京").startswith("dong-jing-")


def test_an_entity_written_under_the_old_slug_is_found_and_updated_in_place(tmp_path: Path) -> None:
    with MemoryRepo.init(tmp_path / "mem") as repo:
        old = EntityRecord(name="Ølstykke", entity_type="place")
        legacy = legacy_record_path(old)
        assert legacy is not None and legacy.endswith(f"/{legacy_slugify('Ølstykke')}.md") and "lstykke" in legacy
        repo.write(old, path=legacy, message="An entity from before transliteration")
        with ops.write_transaction(repo, "Add a fact", ORIGIN) as tx:
            record, _ = ops.add_fact(tx, "Ølstykke", "A town in Denmark.", ORIGIN)
        assert record.path == legacy and record.id == old.id
        assert not (repo.root / record_path(EntityRecord(name="Ølstykke"))).exists()
        with ops.write_transaction(repo, "A new one", ORIGIN) as tx:
            fresh, _ = ops.add_fact(tx, "Łódź", "A city in Poland.", ORIGIN)
        assert fresh.path is not None and fresh.path.endswith("/lodz.md")
