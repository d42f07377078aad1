"""One definition of "the same statement", shared by the curator, check and analytics."""

import importlib

from learning_fs.curate import text as curate_text
from learning_fs.format.text import normalise
from learning_fs.review import duplicates


def test_case_accents_spacing_and_punctuation_do_not_matter() -> None:
    assert normalise("  Café   uses PostgreSQL!! ") == normalise("cafe USES postgresql")


def test_cpp_and_csharp_stay_apart_from_c() -> None:
    assert len({normalise("Use C"), normalise("Use C++"), normalise("Use C#")}) == 3


def test_curator_check_and_analytics_agree() -> None:
    lifecycle = importlib.import_module("learning_fs.analytics.lifecycle")  # the package re-exports a function
    pairs = [("Use C++ here.", "use c here"), ("Prefers tea", "prefers TEA!"), ("Ünïcode", "unicode")]
    for a, b in pairs:
        same = normalise(a) == normalise(b)
        assert (curate_text.normalise(a) == curate_text.normalise(b)) is same
        assert (lifecycle.normalise(a) == lifecycle.normalise(b)) is same
        assert (duplicates.normalise(a) == duplicates.normalise(b)) is same
