"""Budgeted selection for recall: what of the ranked candidates reaches the prompt, and how much of each.

A store ranks its candidates (memories, learnings, entities, decisions) by relevance; this module
decides what of them fits the store's token budget. Two rules keep the best evidence in:

- **Skip, never stop.** A candidate that does not fit the room left is skipped and the next one
  is tried. Stopping at the first misfit (what recall did before) let one long memory ranked
  first empty the whole context, and a memory longer than the budget could never be recalled.
- **Long candidates are excerpted, not dropped.** A candidate costing more than its *share* of
  the budget is shown as the passage of it that best matches the message (a window of whole
  sentences), with a pointer to the record so the agent (or a person) can read the rest. The
  share is a fraction of the budget (:data:`SHARE_DIVISOR`), so one long record can never take
  the room of every other one.

The passage is the contiguous run of sentences, within the share, whose sentences share the most
(IDF-weighted) words with the message; the index's snippet of the hit (the chunk the dense or
lexical side matched) anchors it when given, so a paraphrase without a word in common still
lands on the passage the embedding found. Everything here is plain Python over strings: it runs
on every recall and costs microseconds per candidate.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from learning_fs.context import estimate_tokens
from learning_fs.search.scoring import tokenize

T = TypeVar("T")

#: A candidate may use at most ``budget / SHARE_DIVISOR`` tokens before it is excerpted (but see
#: :data:`MIN_SHARE`): at the machine's 2,000-token budget a memory of up to ~660 tokens is
#: shown whole and a longer one by its best ~660-token passage, leaving room for at least two
#: other candidates.
SHARE_DIVISOR = 3
#: The least room worth showing a passage in (tokens): an excerpt smaller than this says little.
MIN_SHARE = 48
#: Room left below which selection stops looking (nothing useful fits any more).
MIN_PIECE = 12
ELLIPSIS = "…"

_SENTENCE = re.compile(r"(?<=[.!?…])\s+|\n+")


@dataclass(frozen=True)
class Candidate(Generic[T]):
    """One ranked thing a store could show.

    ``cost`` is what showing it whole costs in tokens (its rendered line); ``text`` is the part
    that may be excerpted (a memory's text, a learning's body) and ``overhead`` what the rest of
    its line costs; ``anchor`` is the index's snippet of the hit, if any.
    """

    value: T
    cost: int
    text: str = ""
    overhead: int = 0
    anchor: str | None = None


class Excerpt:
    """A record or item as the context shows it: one field replaced by its best-matching passage.

    Every other attribute is the original's (``id``, ``title``, ``path``…), so templates, the
    privacy fence (which reads ``path`` and ``namespace``/``user``) and the recall log (``id``)
    treat it as the original. ``excerpt_of`` names where the whole text is (``path#id`` for an
    item), ``full_tokens`` how long it is.
    """

    __slots__ = ("excerpt_of", "field", "full_tokens", "original", "passage")

    def __init__(self, original: Any, field: str, passage: Any, excerpt_of: str, full_tokens: int) -> None:
        self.original = original
        self.field = field
        self.passage = passage
        self.excerpt_of = excerpt_of
        self.full_tokens = full_tokens

    def __getattr__(self, name: str) -> Any:
        if name == "excerpted":
            return True
        if name == object.__getattribute__(self, "field"):
            return object.__getattribute__(self, "passage")
        return getattr(object.__getattribute__(self, "original"), name)

    def __repr__(self) -> str:
        return f"Excerpt({self.excerpt_of}, {self.field} of {self.full_tokens} tokens)"


def share_of(budget: int, candidates: int = SHARE_DIVISOR) -> int:
    """The most one of ``candidates`` may use of ``budget`` before it is excerpted.

    A third of the budget when there are three or more candidates, all of it for a single one:
    a lone long memory is shown as fully as the budget allows.
    """
    return max(budget // max(1, min(candidates, SHARE_DIVISOR)), min(MIN_SHARE, budget))


def select(candidates: Iterable[Candidate[T]], budget: int | None, query: str | None, *, limit: int | None = None,
           excerpt: Callable[[Candidate[T], str], Any] | None = None, count: int | None = None) -> list[Any]:
    """The candidates (best first) that fit ``budget`` tokens: whole, excerpted, or skipped.

    ``excerpt(candidate, passage)`` builds what is shown for a candidate cut to ``passage``
    (default: the passage string itself); without it long candidates are skipped instead.
    ``budget=None`` takes everything up to ``limit`` whole. ``candidates`` may be an iterator
    that reads records as it goes, with ``count`` saying how many it may yield: no more are
    taken from it once ``limit`` are chosen or the budget is spent.
    """
    chosen: list[Any] = []
    if budget is None:
        return [c.value for c in itertools.islice(candidates, limit)]
    if count is None:
        candidates = list(candidates)
        count = len(candidates)
    share = share_of(budget, count)
    used = 0
    pending = iter(candidates)
    # Checked before the next candidate is taken: a lazy one is read only if it may be used.
    while (limit is None or len(chosen) < limit) and budget - used >= MIN_PIECE:
        candidate = next(pending, None)
        if candidate is None:
            break
        room = budget - used
        if candidate.cost <= min(room, share):
            chosen.append(candidate.value)
            used += candidate.cost
            continue
        if excerpt is None or not candidate.text:
            continue  # too long for the room left: the next one may fit (skip, never stop)
        width = min(share, room) - candidate.overhead
        if width < MIN_PIECE:
            continue
        passage = best_passage(candidate.text, query, width, candidate.anchor)  # words weighed within this text
        if not passage:
            continue
        chosen.append(excerpt(candidate, passage))
        used += estimate_tokens(passage) + candidate.overhead
    return chosen


def best_passage(text: str, terms: dict[str, float] | str | None, max_tokens: int, anchor: str | None = None) -> str:
    """The run of whole sentences of ``text`` within ``max_tokens`` that best matches ``terms``.

    ``terms`` is a query (string) or query-word weights (:func:`query_weights`). Sentences are
    scored by the weights of the query words they contain, plus a bonus inside the ``anchor``
    (the snippet the index matched, located in ``text``); the window with the highest total
    wins, the earliest on ties. An ellipsis marks each cut end. A single sentence longer than the
    room is cut on a word boundary around its best part.
    """
    if max_tokens <= 0:
        return ""
    if estimate_tokens(text) <= max_tokens:
        return text
    weights = query_weights(terms, text) if isinstance(terms, str) or terms is None else terms
    spans = _sentences(text)
    scores = [sum(weights.get(t, 0.0) for t in set(tokenize(text[s:e]))) for s, e in spans]
    located = _locate(text, anchor) if anchor else None
    if located is not None:
        top = max(scores, default=0.0) or 1.0
        for i, (s, e) in enumerate(spans):
            if s < located[1] and e > located[0]:
                scores[i] += top  # the index's match counts as much as the best word match
    room = max_tokens * 4 - 2 * len(ELLIPSIS) - 2
    best = (-1.0, 0, 0)  # (score, first, last) of the best window
    first, total = 0, 0.0
    for last in range(len(spans)):
        total += scores[last]
        while first < last and spans[last][1] - spans[first][0] > room:
            total -= scores[first]
            first += 1
        length = spans[last][1] - spans[first][0]
        if length <= room and total > best[0]:
            best = (total, first, last)
    if best[0] < 0:  # no sentence fits: cut the best one
        i = max(range(len(spans)), key=lambda j: (scores[j], -j))
        return _cut(text, spans[i], room)
    _, first, last = best
    start, end = spans[first][0], spans[last][1]
    # Fill leftover room with the neighbouring sentences (context for the match), after first.
    while True:
        grown = False
        if last + 1 < len(spans) and spans[last + 1][1] - start <= room:
            last, end, grown = last + 1, spans[last + 1][1], True
        if first > 0 and end - spans[first - 1][0] <= room:
            first, start, grown = first - 1, spans[first - 1][0], True
        if not grown:
            break
    passage = text[start:end].strip()
    return (ELLIPSIS if start > 0 else "") + passage + (ELLIPSIS if end < len(text.rstrip()) else "")


def query_weights(query: str | None, *texts: str) -> dict[str, float]:
    """IDF-like weights of the query's words over the sentences of ``texts`` (rare words weigh more)."""
    return _weights(query, list(texts))


def _weights(query: str | None, texts: Sequence[str]) -> dict[str, float]:
    words = set(tokenize(query or ""))
    if not words:
        return {}
    sentences = [set(tokenize(text[s:e])) for text in texts for s, e in _sentences(text)]
    n = len(sentences) or 1
    return {w: math.log(1.0 + (n + 0.5) / (sum(1 for s in sentences if w in s) + 0.5)) for w in words}


def _sentences(text: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for match in _SENTENCE.finditer(text):
        if match.start() > start:
            spans.append((start, match.start()))
        start = match.end()
    if start < len(text):
        spans.append((start, len(text)))
    return spans or [(0, len(text))]


def _locate(text: str, anchor: str) -> tuple[int, int] | None:
    """Where the index's snippet lies in ``text`` (snippets are whitespace-collapsed, maybe with ellipses)."""
    probe = " ".join(anchor.strip(ELLIPSIS + " ").split())
    if len(probe) < 12:
        return None
    flat = " ".join(text.split())
    if flat != text:
        return None  # only one-line texts (memories, bodies of short records) are located
    for piece in (probe, probe[:80], probe[-80:]):
        at = text.find(piece)
        if at >= 0:
            return (at, at + len(piece)) if piece is probe else (at, at + len(probe))
    return None


def _cut(text: str, span: tuple[int, int], room: int) -> str:
    s, e = span
    if e - s <= room:
        return text[s:e]
    end = text.rfind(" ", s, s + room)
    end = end if end > s + room // 2 else s + room
    return text[s:end].rstrip() + ELLIPSIS
