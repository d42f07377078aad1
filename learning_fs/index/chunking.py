"""Split long texts into overlapping windows of word pieces, so their tails are searchable too.

MiniLM reads at most 256 word pieces and silently ignores the rest; on a long-conversation
benchmark over half of the evidence sat past that cut. Each window becomes its own vector
(pointing back to the same entry); a hit on any window is a hit on the entry.

Windows are measured with the same WordPiece tokenizer the model uses and start and end on
whitespace where there is any, so re-tokenising a chunk gives the same pieces and no word is cut
in half. Chunks are character spans into the original text, which keeps snippets exact.
"""

from __future__ import annotations

from dataclasses import dataclass

from learning_fs.index.minilm import MAX_TOKENS, load_tokenizer

#: Word pieces per window: MiniLM's 256 minus [CLS] and [SEP].
CHUNK_TOKENS = MAX_TOKENS - 2
#: Word pieces shared by consecutive windows, so a sentence on a boundary is whole in one of them.
CHUNK_OVERLAP = 32


@dataclass(frozen=True)
class Span:
    """Characters ``[start, end)`` of the original text."""

    start: int
    end: int


def chunk_spans(text: str, max_tokens: int = CHUNK_TOKENS, overlap: int = CHUNK_OVERLAP) -> list[Span]:
    """Spans covering ``text`` in windows of at most ``max_tokens`` word pieces.

    A text that fits is one span over the whole of it (the common case: most records are short).
    An empty text still yields one (empty) span, so every entry has at least one vector.
    """
    if overlap >= max_tokens:
        raise ValueError("overlap must be smaller than max_tokens")
    encoding = load_tokenizer().encode(text, add_special_tokens=False)
    offsets = encoding.offsets
    if len(offsets) <= max_tokens:
        return [Span(0, len(text))]
    # A window may only start at a token that follows whitespace: never inside a word ("##piece")
    # nor on the punctuation glued to one. Text without spaces falls back to hard cuts below.
    is_start = [i == 0 or start == 0 or text[start - 1].isspace() for i, (start, _) in enumerate(offsets)]
    is_start.append(True)
    spans: list[Span] = []
    begin = 0
    while True:
        end = min(begin + max_tokens, len(offsets))
        cut = end
        while cut > begin and not is_start[cut]:  # do not cut the last word in half...
            cut -= 1
        if cut > begin:  # ...unless one "word" (a long URL, a hash) fills the whole window
            end = cut
        spans.append(Span(offsets[begin][0], offsets[end - 1][1]))
        if end >= len(offsets):
            return spans
        nxt = end - overlap
        while nxt < end and not is_start[nxt]:
            nxt += 1
        begin = max(nxt, begin + 1)
