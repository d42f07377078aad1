"""Short excerpts for hits: the passage that matched, not the first lines of a long record.

The dense side knows which chunk matched; for a lexical-only hit the chunk with the most query
words is taken. Either way the excerpt is cut around the first query word, on word boundaries.
"""

from __future__ import annotations

from collections.abc import Sequence

from learning_fs.index.chunking import Span

SNIPPET_CHARS = 300


def best_chunk(body: str, chunks: Sequence[Span], terms: Sequence[str]) -> Span:
    """The chunk where the query words occur most often (the first chunk if none occur)."""
    if len(chunks) <= 1 or not terms:
        return chunks[0] if chunks else Span(0, len(body))
    lowered = [body[c.start : c.end].lower() for c in chunks]
    counts = [sum(text.count(term) for term in terms) for text in lowered]
    return chunks[max(range(len(chunks)), key=lambda i: (counts[i], -i))]


def make_snippet(body: str, span: Span, terms: Sequence[str], width: int = SNIPPET_CHARS) -> str:
    """At most ``width`` characters of ``span``, starting a little before the first query word."""
    text = body[span.start : span.end]
    if len(text) <= width:
        return " ".join(text.split())
    lowered = text.lower()
    hits = [pos for pos in (lowered.find(term) for term in terms) if pos >= 0]
    start = max(0, min(hits) - width // 4) if hits else 0
    if start:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < start + 40 else start
    end = min(len(text), start + width)
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > start + width // 2 else end
    excerpt = " ".join(text[start:end].split())
    return ("…" if start else "") + excerpt + ("…" if end < len(text) else "")
