"""BM25 ranking with SQLite FTS5 (standard library), restricted to the partitions a search may read.

Why FTS5 and not ``bm25s``: FTS5 updates in place (one entry written through costs one row),
persists with the rest of the catalog and needs no extra dependency, while ``bm25s`` rebuilds its
whole matrix on every change. FTS5 also ranked better on the LongMemEval sample thanks to its
Porter stemmer (recall_all@5 0.881 against 0.814 for ``bm25s`` without a stemmer; see
bench/retrieval_bench.py).

A natural-language query becomes ``body : ("term" OR ...)``: every content word is optional (OR),
English function words are dropped (they match nearly every entry, cost the most and add almost
nothing to BM25), and at large sizes the most common remaining words too (``POSTINGS_BUDGET``).
The search is restricted to the partitions in scope either inside the MATCH
(``part : ("3" OR "7") AND ...``, which walks those partitions' token lists) or by joining the
matched rows to their entries, whichever touches fewer rows.
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


#: At most this many postings (entries matched, summed over the query's terms) are scored per
#: query; the rarest terms are kept first. FTS5 computes BM25 for every matching row (~1 us each),
#: so at 100k entries one generic word ("suggest": 7.5% of entries) made a query cost 9-25 ms;
#: with the cap it costs ~5 ms. Indexes where the cap never binds (the benchmark's 50-session
#: haystacks, most personal repositories) rank exactly as plain BM25.
POSTINGS_BUDGET = 5000
#: The rarest term is always kept, even over budget, so a query of common words still matches.
#: Only one: a second common term doubled the cost of a query (two of the benchmark's topic words
#: at 100k records: 15.8k postings, 17 ms) for a word whose IDF adds little to the rare one's,
#: and the dense side of a hybrid search still sees the whole query.
MIN_TERMS = 1
#: Restricting to partitions inside the MATCH walks the partitions' token lists (~0.1 us per
#: entry in them); filtering matched rows by a join costs ~1.5 us per matched row. The cheaper
#: one is used: the token filter unless the partitions hold 15x more entries than rows match.
TOKEN_FILTER_RATIO = 15


def select_words(frequencies: Sequence[tuple[str, str, int]], budget: int = POSTINGS_BUDGET) -> tuple[list[str], int]:
    """The query words to match, rarest term first while their entry counts fit in ``budget``,
    and the number of postings they cover.

    ``frequencies`` holds (word, indexed term, entries containing it). Words whose term no entry
    contains are dropped (they cannot match); a dropped common word mostly carries a small IDF,
    and the dense side of a hybrid search still sees the whole query.
    """
    by_term: dict[str, tuple[int, list[str]]] = {}
    for word, term, documents in frequencies:
        if documents > 0:
            by_term.setdefault(term, (documents, []))[1].append(word)
    chosen: list[str] = []
    total = 0
    for kept, (documents, words) in enumerate(sorted(by_term.values(), key=lambda item: item[0])):
        if kept >= MIN_TERMS and total + documents > budget:
            break
        chosen += words
        total += documents
    return chosen, total


def body_expression(words: Sequence[str]) -> str:
    """``body : ("w1" OR "w2" ...)``: any of the words, in the text column only."""
    return "body : (" + " OR ".join(f'"{w}"' for w in words) + ")"  # query_terms() yields [^\W_]+ only


def lexical_search(
    catalog: Catalog, query: str, pids: Collection[int], kinds: Collection[str] | None, depth: int
) -> list[tuple[str, float]]:
    """Up to ``depth`` (entry id, BM25 score) pairs, best first (scores are positive)."""
    match = _match(catalog, query, pids)
    if match is None:
        return []
    expression, conditions, params = match
    if kinds is not None:
        conditions.append(f"e.kind IN ({','.join('?' * len(kinds))})")
        params += sorted(kinds)
    where = "".join(f" AND {condition}" for condition in conditions)
    rows = catalog.read(
        f"SELECT e.id, -fts.rank FROM fts JOIN entries e ON e.rowid = fts.rowid WHERE fts MATCH ?{where} "
        "ORDER BY fts.rank LIMIT ?",
        (expression, *params, depth),
    )
    return [(entry_id, float(score)) for entry_id, score in rows]


def lexical_search_by_kind(
    catalog: Catalog, query: str, pids: Collection[int], depth: int
) -> dict[str, list[tuple[str, float]]]:
    """The best ``depth`` (entry id, BM25 score) pairs of every kind, best first, in one FTS pass.

    What :func:`lexical_search` with ``kinds={k}`` returns, for every ``k`` at once: the stores
    of a turn each search the same message for their own kind, and FTS5 scores every matching
    row whatever the kind filter, so one pass (ranked per kind by a window) serves them all.
    """
    match = _match(catalog, query, pids)
    if match is None:
        return {}
    expression, conditions, params = match
    where = "".join(f" AND {condition}" for condition in conditions)
    rows = catalog.read(
        "SELECT id, kind, score FROM (SELECT e.id AS id, e.kind AS kind, -fts.rank AS score, "
        "ROW_NUMBER() OVER (PARTITION BY e.kind ORDER BY fts.rank) AS place "
        f"FROM fts JOIN entries e ON e.rowid = fts.rowid WHERE fts MATCH ?{where}) "
        "WHERE place <= ? ORDER BY kind, place",
        (expression, *params, depth),
    )
    found: dict[str, list[tuple[str, float]]] = {}
    for entry_id, kind, score in rows:
        found.setdefault(kind, []).append((entry_id, float(score)))
    return found


def _match(catalog: Catalog, query: str, pids: Collection[int]) -> tuple[str, list[str], list[object]] | None:
    """(MATCH expression, extra conditions, their parameters) for ``query`` in ``pids``; None: no match."""
    words = query_terms(query)
    if not words or not pids:
        return None
    chosen, postings = select_words(catalog.term_frequencies(words))
    if not chosen:
        return None
    conditions: list[str] = []
    params: list[object] = []
    if catalog.entries_in(pids) <= TOKEN_FILTER_RATIO * postings:
        parts = " OR ".join(f'"{pid}"' for pid in sorted(pids))
        return f"part : ({parts}) AND {body_expression(chosen)}", conditions, params
    conditions.append(f"e.pid IN ({','.join('?' * len(pids))})")
    params += sorted(pids)
    return body_expression(chosen), conditions, params
