"""Duplicates: new or changed learnings, memories and facts that say what is already remembered.

Two kinds of evidence, because peers found no single threshold that separates a duplicate from
a related note: *exact* duplicates (the same statement after normalising case, punctuation and
spacing) are always errors; *near* duplicates are pairs whose embedding cosine similarity reaches
``review.check.duplicates.warning`` (shown with their similarity for the reviewer to judge) or
``.error`` (fails the check). Learnings are compared with every learning their readers can also
see (shared with shared; a user's private ones with shared and that user's); memories and facts
with the other items of the same file (one user's memories, one entity's facts).

Speed: only the changed files are parsed. Existing learnings are listed by a tree walk and read
through the check cache (:mod:`learning_fs.review.vectors`); their vectors come from the cache,
and when more than ``embed_limit`` of them have none (a first run on a big repository) words pick
candidates first: each new learning is embedded against the few existing ones that share its
rarest words, instead of embedding the whole repository.
"""

from __future__ import annotations

import hashlib
import heapq
import math
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from operator import itemgetter

import numpy as np

from learning_fs.errors import RecordParseError
from learning_fs.format.body import parse_body
from learning_fs.format.frontmatter import split
from learning_fs.format.items import Item
from learning_fs.format.layout import kind_from_path
from learning_fs.format.records import EntityRecord, MemoriesRecord, Record, parse_record
from learning_fs.format.text import normalise as normalise_text
from learning_fs.index.embeddings import Embedder
from learning_fs.review.findings import Finding, Severity
from learning_fs.review.settings import DuplicateSettings
from learning_fs.review.source import CheckTarget
from learning_fs.review.vectors import CachedLearning, CheckCache, text_digest

SHARED = "shared"
TOP_MATCHES = 3  # pairs reported per new entry (the closest ones)
WORD_CANDIDATES = 5  # existing learnings embedded per new one when words pick candidates
BULK_TEXTS = 64  # from this many texts a batch is embedded on every core
_WORD = re.compile(r"[a-z0-9][a-z0-9_+#.-]*[a-z0-9+#]|[a-z0-9]")
_STOPWORD_TEXT = (
    "the and for with that this from are was were will when what which who how you your use used using into "
    "than then them they their there these those been have has had not but all any can may should would could "
    "its it's our out over under about after before also only more most other such each very"
)
_STOPWORDS = frozenset(_STOPWORD_TEXT.split(" "))


@dataclass
class Unit:
    """One thing that can be a duplicate: a learning, or one memory or fact of a file."""

    kind: str  # learning | memory | fact
    path: str
    line: int
    label: str  # how a message names it
    text: str  # what is embedded
    norm: str  # hash of the normalised statement
    scope: str  # who can see it: "shared", "user:<id>"; for items the file's path
    changed: bool
    item: str = ""

    @property
    def key(self) -> tuple[str, str]:
        return (self.path, self.item)


def normalise(text: str) -> str:
    """A hash of the statement in the library's one normal form (:func:`learning_fs.format.text.normalise`)."""
    return hashlib.sha1(normalise_text(text).encode()).hexdigest()[:20]


def learning_from_bytes(data: bytes, path: str) -> CachedLearning | None:
    """Title and statement of a learning file without parsing its YAML (None when it has neither).

    The same function reads changed and existing files, so their texts are embedded alike.
    """
    text = data.decode("utf-8", "replace")
    try:
        _, body, body_line = split(text, path)
    except RecordParseError:
        return None
    parsed = parse_body(body, body_line)
    title = " ".join((parsed.title or "").split())
    statement = parsed.preamble.strip()
    if not statement:
        return None
    first = statement.split("\n", 1)[0]
    lines = body.split("\n")
    offset = next((i for i, line in enumerate(lines) if line.strip() == first.strip()), 0)
    return CachedLearning(title, f"{title}\n{statement}" if title else statement, normalise(statement),
                          body_line + offset)


def learning_scope(path: str) -> str:
    parts = path.split("/")
    return f"user:{parts[2]}" if parts[0] == "users" and len(parts) > 3 else SHARED


def _visible_scopes(scope: str) -> tuple[str, ...]:
    """The scopes a unit is compared with: shared with shared; a user's with shared and theirs."""
    if scope == SHARED or scope.startswith("user:"):
        return (SHARED, scope) if scope != SHARED else (SHARED,)
    return (scope,)  # items: their own file


def _short(text: str, limit: int = 70) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


class DuplicateCheck:
    """Finds exact and near duplicates of the changed entries of a :class:`CheckTarget`."""

    def __init__(self, target: CheckTarget, settings: DuplicateSettings, cache: CheckCache | None,
                 embedder: Callable[[], Embedder], embedder_name: str) -> None:
        self.target = target
        self.settings = settings
        self.cache = cache
        self._embedder_factory = embedder
        self._embedder: Embedder | None = None
        self.embedder_name = embedder_name
        self.notes: list[str] = []
        self.compared = 0

    # -- collecting -----------------------------------------------------------------------------
    def learning_units(self, changed: list[str]) -> list[Unit]:
        """Every learning the changed ones are compared with, the changed ones included."""
        changed_set = set(changed)
        folders = ["learnings"]
        folders += sorted({"/".join(p.split("/")[:3]) + "/learnings" for p in changed if p.startswith("users/")})
        listed = [(path, blob) for folder in folders for path, blob in self.target.walk(folder)]
        cached = self.cache.learnings(blob for _, blob in listed) if self.cache is not None else {}
        fresh: dict[str, CachedLearning] = {}
        units = []
        for path, blob in listed:
            info = cached.get(blob) or fresh.get(blob)
            if info is None:
                info = learning_from_bytes(self.target.read_listed(path, blob), path)
                if info is None:
                    continue
                fresh[blob] = info
            units.append(Unit("learning", path, info.line, f"learning {info.title!r}" if info.title else path,
                              info.text, info.norm, learning_scope(path), path in changed_set))
        if self.cache is not None:
            self.cache.put_learnings(fresh)
        return units

    def item_units(self, records: dict[str, Record]) -> list[Unit]:
        """Memories and facts of the changed files; new or edited items are the changed ones."""
        units = []
        for path, record in records.items():
            items, kind = _items(record)
            if kind is None:
                continue
            before = self._base_items(path)
            lines = (self.target.read(path) or b"").decode("utf-8", "replace").split("\n")
            for item in items:
                if not item.active or not item.text.strip():
                    continue
                changed = before is None or before.get(item.id) != item.text
                units.append(Unit(kind, path, _item_line(lines, item), f"{kind} {_short(item.text)!r}", item.text,
                                  normalise(item.text), path, changed, item.id))
        return units

    def _base_items(self, path: str) -> dict[str, str] | None:
        if self.target.base is None:
            return None
        data = self.target.read_base(path)
        if data is None:
            return {}
        try:
            items, _ = _items(parse_record(data.decode("utf-8", "replace"), path))
        except RecordParseError:
            return {}
        return {item.id: item.text for item in items}

    # -- comparing ------------------------------------------------------------------------------
    def run(self, changed_paths: list[str], records: dict[str, Record]) -> list[Finding]:
        learnings = [p for p in changed_paths if kind_from_path(p) == "learning"]
        units = self.learning_units(learnings) if learnings else []
        units += self.item_units(records)
        changed = [u for u in units if u.changed]
        if not changed:
            return []
        self.compared = len(units) - len(changed)
        findings: list[Finding] = []
        reported: set[frozenset[tuple[str, str]]] = set()
        self._exact(units, changed, findings, reported)
        self._near(units, changed, findings, reported)
        return findings

    def _exact(self, units: list[Unit], changed: list[Unit], findings: list[Finding],
               reported: set[frozenset[tuple[str, str]]]) -> None:
        by_norm: dict[tuple[str, str], list[Unit]] = {}
        for unit in units:
            by_norm.setdefault((unit.scope, unit.norm), []).append(unit)
        for unit in changed:
            for scope in _visible_scopes(unit.scope):
                for other in by_norm.get((scope, unit.norm), []):
                    if _same_entry(unit, other):
                        continue
                    pair = frozenset((unit.key, other.key))
                    if pair in reported:
                        continue
                    reported.add(pair)
                    findings.append(Finding("duplicates", unit.path, unit.line,
                                            f"{unit.label} repeats {other.label} (the same text)", "error",
                                            other.path, other.line, 1.0))

    def _near(self, units: list[Unit], changed: list[Unit], findings: list[Finding],
              reported: set[frozenset[tuple[str, str]]]) -> None:
        scopes = {scope for unit in changed for scope in _visible_scopes(unit.scope)}
        pool = [u for u in units if u.scope in scopes]
        vectors = self._vectors(pool, changed)
        rows = [i for i, u in enumerate(pool) if i in vectors]
        if not rows:
            return
        matrix = np.stack([vectors[i] for i in rows])
        members = [pool[i] for i in rows]
        scope_ids = {scope: n for n, scope in enumerate(sorted(scopes))}
        member_scope = np.array([scope_ids[u.scope] for u in members])
        queries = [(i, u) for i, u in enumerate(pool) if u.changed and i in vectors]
        for start in range(0, len(queries), 256):
            batch = queries[start : start + 256]
            sims = np.stack([vectors[i] for i, _ in batch]) @ matrix.T
            for row, (_, unit) in enumerate(batch):
                allowed = np.isin(member_scope, [scope_ids[s] for s in _visible_scopes(unit.scope)])
                scores = np.where(allowed, sims[row], -1.0)
                hits = np.flatnonzero(scores >= self.settings.warning)
                kept = 0
                for index in hits[np.argsort(-scores[hits])]:
                    other = members[index]
                    if _same_entry(unit, other):
                        continue
                    pair = frozenset((unit.key, other.key))
                    if pair in reported:
                        continue
                    reported.add(pair)
                    score = float(min(scores[index], 1.0))
                    severity: Severity = "error" if score >= self.settings.error else "warning"
                    word = "duplicates" if severity == "error" else "may duplicate"
                    findings.append(Finding("duplicates", unit.path, unit.line,
                                            f"{unit.label} {word} {other.label} (similarity {_floor(score)})", severity,
                                            other.path, other.line, score))
                    kept += 1
                    if kept >= TOP_MATCHES:
                        break

    # -- vectors --------------------------------------------------------------------------------
    def _vectors(self, pool: list[Unit], changed: list[Unit]) -> dict[int, np.ndarray]:
        """Vectors by position in ``pool``: cached, embedded, or (over budget) only for word candidates."""
        digests = [text_digest(self.embedder_name, u.text) for u in pool]
        dim = self._dim()
        have = self.cache.vectors(digests, dim) if self.cache is not None else {}
        missing = [i for i, d in enumerate(digests) if d not in have]
        must = [i for i in missing if pool[i].changed or pool[i].kind != "learning"]
        optional = [i for i in missing if not (pool[i].changed or pool[i].kind != "learning")]
        wanted = list(must)
        if len(optional) <= self.settings.embed_limit:
            wanted += optional
        else:
            picked = _word_candidates([pool[i] for i in optional], [u for u in changed if u.kind == "learning"])
            wanted += [optional[j] for j in picked]
            self.notes.append(
                f"{len(optional)} existing learnings have no cached vector (more than embed_limit "
                f"{self.settings.embed_limit}): compared {len(picked)} chosen by shared words; exact duplicates "
                "were checked against all. The cache fills as checks run (keep .learning_fs/check between runs)."
            )
        if wanted:
            texts = {digests[i]: pool[i].text for i in wanted}
            order = list(texts)
            embedded = self._embed([texts[d] for d in order])
            have.update(zip(order, embedded, strict=True))
            if self.cache is not None:
                self.cache.put_vectors(order, embedded)
        return {i: have[d] for i, d in enumerate(digests) if d in have}

    def _embed(self, texts: list[str]) -> np.ndarray:
        """Embed with the shared model; a batch of 64 or more on every core (the index does the same)."""
        if self._embedder is None:
            self._embedder = self._embedder_factory()
        embedder = self._embedder
        if len(texts) >= BULK_TEXTS:
            from learning_fs.index.service import bulk_embedder

            embedder = bulk_embedder(embedder) or embedder
        return embedder.embed(texts)

    def _dim(self) -> int:
        if self._embedder is not None:
            return self._embedder.dim
        from learning_fs.index.minilm import MODEL_DIM, MODEL_NAME

        if self.embedder_name == MODEL_NAME:
            return MODEL_DIM
        self._embedder = self._embedder_factory()
        return self._embedder.dim


def _floor(score: float) -> str:
    """Two decimals, rounded down: 0.948 is shown as 0.94, never as the 0.95 it did not reach."""
    return f"{math.floor(score * 100) / 100:.2f}"


def _same_entry(unit: Unit, other: Unit) -> bool:
    return other.key == unit.key or (unit.kind == "learning" and other.path == unit.path)


def _items(record: Record) -> tuple[list[Item], str | None]:
    if isinstance(record, MemoriesRecord):
        return record.memories, "memory"
    if isinstance(record, EntityRecord):
        return record.facts, "fact"
    return [], None


def _item_line(lines: list[str], item: Item) -> int:
    for needle in (f"id={item.id}", item.text):
        for number, line in enumerate(lines, start=1):
            if needle and needle in line:
                return number
    return 1


def _words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.casefold()) if len(w) > 2 and w not in _STOPWORDS}


def _word_candidates(existing: list[Unit], queries: list[Unit], per_query: int = WORD_CANDIDATES) -> list[int]:
    """Positions in ``existing`` of the entries that share the most (IDF-weighted) words with a query.

    Words found in more than a tenth of the entries carry little and are skipped, which also
    keeps the postings scanned per query small.
    """
    postings: dict[str, list[int]] = {}
    for position, unit in enumerate(existing):
        for word in _words(unit.text):
            postings.setdefault(word, []).append(position)
    total = len(existing)
    picked: set[int] = set()
    for query in queries:
        scores: dict[int, float] = defaultdict(float)
        for word in _words(query.text):
            found = postings.get(word)
            if not found or len(found) > max(50, total // 10):
                continue
            weight = math.log(total / len(found))
            for position in found:
                scores[position] += weight
        picked.update(position for position, _ in heapq.nlargest(per_query, scores.items(), key=itemgetter(1)))
    return sorted(picked)
