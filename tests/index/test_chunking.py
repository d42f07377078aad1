"""Chunking: long texts become overlapping windows MiniLM can read whole."""

from __future__ import annotations

import itertools

from learning_fs.index.chunking import CHUNK_TOKENS, chunk_spans
from learning_fs.index.minilm import load_tokenizer


def pieces(text: str) -> int:
    return len(load_tokenizer().encode(text, add_special_tokens=False).ids)


def test_short_text_is_one_chunk_over_all_of_it() -> None:
    text = "Deploys fail when the Docker image exceeds 2 GB."
    assert [(s.start, s.end) for s in chunk_spans(text)] == [(0, len(text))]
    assert [(s.start, s.end) for s in chunk_spans("")] == [(0, 0)]


def test_long_text_windows_fit_the_model_overlap_and_cover_everything() -> None:
    text = " ".join(f"Sentence {n} mentions unbelievably long words." for n in range(300))
    spans = chunk_spans(text)
    assert len(spans) > 5
    assert all(pieces(text[s.start : s.end]) <= CHUNK_TOKENS for s in spans)
    assert spans[0].start == 0 and spans[-1].end == len(text)
    for before, after in itertools.pairwise(spans):
        assert after.start < before.end  # overlapping, so nothing falls between two windows
        assert text[after.start - 1] == " " and not text[after.start].isspace()  # starts on a word
        assert before.end == len(text) or text[before.end] == " "  # ends on a word boundary
    assert text.endswith(text[spans[-1].start : spans[-1].end])


def test_a_single_word_longer_than_a_window_still_makes_progress() -> None:
    text = "-".join("ab" for _ in range(400)) + " tail words here"
    spans = chunk_spans(text, max_tokens=50, overlap=10)
    assert spans[-1].end == len(text)
    assert all(pieces(text[s.start : s.end]) <= 50 for s in spans)
