"""BM25 ranking with SQLite FTS5 (standard library), restricted to the partitions a search may read.

Why FTS5 and not ``bm25s``: FTS5 updates in place (one entry written through costs one row),
persists with the rest of the catalog and needs no extra dependency, while ``bm25s`` rebuilds its
whole matrix on every change. Both rank with BM25; the measured comparison is in the report of
``bench/retrieval_bench.py``.

A natural-language query becomes ``part : ("3" OR "7") AND body : ("term" OR ...)``: every
content word is optional (OR), English function words are dropped (they match nearly every
entry, cost the most and add almost nothing to BM25), and the partition tokens make FTS5 walk
only the posting lists of the partitions in scope.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence

from learning_fs.index.catalog import Catalog

_WORD = re.compile(r"[^\W_]+")
#: Function words: matched by almost every entry, near-zero IDF, and the main cost of a query.
_STOPWORD_TEXT = """
    a about above after again against all am an and any are as at be because been before being below
    between both but by can could did do does doing down during each few for from further had has have
    having he her here hers herself him himself his how i if in into is it its itself just me more most
    my myself no nor not now of off on once only or other our ours ourselves out over own same she
    should so some such than that the their theirs them themselves then there these they this those
    through to too under until up very was we were what when where which while who whom why will with
    would you your yours yourself yourselves
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())


def query_terms(query: str) -> list[str]:
    """Content words of ``query``, lower-cased, in order, without duplicates or stopwords.

    Single letters are dropped too ("don't" splits into "don" and "t"); digits are kept.
    """
    words = (w.lower() for w in _WORD.findall(query))
    return list(dict.fromkeys(w for w in words if w not in STOPWORDS and (len(w) > 1 or w.isdigit())))


def match_expression(terms: Sequence[str], pids: Collection[int]) -> str:
    """The FTS5 MATCH string for ``terms`` (OR-ed) within the partitions ``pids``."""
    words = " OR ".join(f'"{t}"' for t in terms)  # terms are [^\W_]+: nothing to escape
    parts = " OR ".join(f'"{pid}"' for pid in sorted(pids))
    return f"part : ({parts}) AND body : ({words})"


def lexical_search(
    catalog: Catalog, query: str, pids: Collection[int], kinds: Collection[str] | None, depth: int
) -> list[tuple[str, float]]:
    """Up to ``depth`` (entry id, BM25 score) pairs, best first (scores are positive)."""
    terms = query_terms(query)
    if not terms or not pids:
        return []
    expression = match_expression(terms, pids)
    if kinds is None:
        rows = catalog.query(
            "SELECT e.id, -m.rank FROM (SELECT rowid, rank FROM fts WHERE fts MATCH ? ORDER BY rank LIMIT ?) m "
            "JOIN entries e ON e.rowid = m.rowid ORDER BY m.rank",
            (expression, depth),
        )
    else:
        kind_list = sorted(kinds)
        rows = catalog.query(
            "SELECT e.id, -fts.rank FROM fts JOIN entries e ON e.rowid = fts.rowid WHERE fts MATCH ? "
            f"AND e.kind IN ({','.join('?' * len(kind_list))}) ORDER BY fts.rank LIMIT ?",
            (expression, *kind_list, depth),
        )
    return [(entry_id, float(score)) for entry_id, score in rows]
