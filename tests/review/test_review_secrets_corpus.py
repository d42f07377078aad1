"""The secret and personal-data rules measured on a labelled corpus (tests/data/secrets_corpus.jsonl).

The corpus holds fake credentials shaped like the real ones, personal data of the kinds memories
pick up, and everyday technical text; `check` must find ≥ 95% of the first two and flag ≤ 2% of
the third. The figures are printed (pytest -s) so a change to a rule shows what it costs.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from learning_fs.review.secrets import scan_personal_data, scan_secrets

CORPUS = Path(__file__).parents[1] / "data" / "secrets_corpus.jsonl"
ROWS = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines()]


def _flagged(text: str) -> bool:
    return bool(scan_secrets(text) or scan_personal_data(text))


def test_the_corpus_is_big_enough_to_mean_something() -> None:
    positives = [row for row in ROWS if row["label"] != "normal"]
    assert len(positives) >= 100
    assert len({row["kind"] for row in positives}) >= 15
    assert sum(row["label"] == "normal" for row in ROWS) >= 200


def test_recall_and_false_positives_on_the_corpus() -> None:
    positives = [row for row in ROWS if row["label"] != "normal"]
    normal = [row for row in ROWS if row["label"] == "normal"]
    missed = [row for row in positives if not _flagged(row["text"])]
    false_alarms = [row["text"] for row in normal if _flagged(row["text"])]
    per_kind = Counter(row["kind"] for row in missed)
    recall = 1 - len(missed) / len(positives)
    fp_rate = len(false_alarms) / len(normal)
    print(f"\nsecrets corpus: recall {recall:.1%} ({len(positives) - len(missed)}/{len(positives)}), "
          f"false positives {fp_rate:.1%} ({len(false_alarms)}/{len(normal)}); missed by kind {dict(per_kind)}")
    assert recall >= 0.95, missed
    assert fp_rate <= 0.02, false_alarms


@pytest.mark.parametrize("text", [
    "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "mobile 415 555 0132",
    "card 4111 1111 1111 1111",
])
def test_a_named_pragma_allow_lists_only_its_rule(text: str) -> None:
    assert _flagged(text)
    rules = {hit.rule.name for hit in scan_secrets(text) + scan_personal_data(text)}
    allowed = text + " <!-- pragma: allowlist " + " pragma: allowlist ".join(sorted(rules)) + " -->"
    assert not _flagged(allowed)
    assert _flagged(text + " <!-- pragma: allowlist email -->")


def test_a_key_split_by_an_invisible_character_is_still_found() -> None:
    split = "token ghp_A1b2C3d4E5\u200bA1b2C3d4E5A1b2C3d4E5A1b2C3"
    assert [hit.rule.name for hit in scan_secrets(split)] == ["github-token"]
