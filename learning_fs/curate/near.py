"""Near-duplicates (and, with a model, contradictions) found by embedding similarity.

Candidates are compared only inside their own list: the memories of one user, the facts of one
entity, the learnings or decisions of one unit. Every candidate text of the run is embedded in
one batch through the vector cache (only unseen texts reach the embedder), then each list's
close pairs come from :func:`~learning_fs.curate.vectors.similar_pairs`.

Without a model, pairs at or above ``near_threshold`` merge. With one, every pair at or above
``judge_threshold`` is judged (:mod:`~learning_fs.curate.judge`): duplicates merge (with the
model's merged wording), contradictions supersede the older statement, distinct pairs stay.
A pair the model did not judge is handled as without a model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from learning_fs.curate.judge import Judgement, judge_pairs
from learning_fs.curate.merge import ItemGroup, merge_item_groups, merge_records, supersede_item, supersede_record
from learning_fs.curate.plan import CurationStats
from learning_fs.curate.scope import Unit
from learning_fs.curate.text import is_pinned, item_time, one_line, record_time
from learning_fs.curate.vectors import VectorCache, similar_pairs
from learning_fs.curate.workspace import STATEMENT_FIELDS, Workspace, item_lists
from learning_fs.format.records import DecisionRecord, LearningRecord, Record


@dataclass
class Candidates:
    """One list whose members may be near-duplicates of each other (item indices or record paths)."""

    unit: Unit
    members: list[Any]  # int indices into ``unit.edit(path).<field>``, or record paths
    texts: list[str]
    times: list[str]  # when each was stated: orders a pair (older, newer)
    path: str | None = None  # the file, for an item list
    section: str | None = None  # the item list's field name (``memories``, ``facts``)
    pairs: list[tuple[int, int, float]] = field(default_factory=list)  # positions in ``members``, cosine


def collect(units: Sequence[Unit]) -> list[Candidates]:
    """Every list of two or more active, unpinned statements."""
    found: list[Candidates] = []
    for unit in units:
        for path, record in unit.records():
            for name, _kind, items in item_lists(record, STATEMENT_FIELDS):
                live = [i for i, item in enumerate(items) if item.active and not is_pinned(item) and item.text]
                if len(live) > 1:
                    found.append(Candidates(unit, live, [items[i].text for i in live],
                                            [item_time(items[i]) for i in live], path, name))
        for kind in ("learning", "decision"):
            paths = [p for p, r in unit.records(kind) if r.status == "active" and not is_pinned(r)]
            if len(paths) > 1:
                records = [unit.edits.get(p) or unit.originals[p] for p in paths]
                found.append(Candidates(unit, paths, [_record_text(r) for r in records],
                                        [record_time(r) for r in records]))
    return found


def near_duplicates(lists: Sequence[Candidates], ws: Workspace, cache: VectorCache, model: Any,
                    stats: CurationStats) -> None:
    """Find close pairs in every candidate list (from :func:`collect`), judge them if there is a
    model, and act on them."""
    policy = ws.policy
    if not lists:
        return
    texts = [text for candidates in lists for text in candidates.texts]
    vectors = cache.vectors(texts)
    judging = model is not None and policy.confirm_with_model
    low = min(policy.judge_threshold, policy.near_threshold) if judging else policy.near_threshold
    offset = 0
    for candidates in lists:
        block = vectors[offset:offset + len(candidates.texts)]
        offset += len(candidates.texts)
        candidates.pairs = similar_pairs(block, low)
    verdicts: dict[tuple[int, int, int], Judgement | None] = {}
    if judging:
        queue = sorted(((score, n, i, j) for n, c in enumerate(lists) for i, j, score in c.pairs), reverse=True)
        queue = queue[: policy.max_judged_pairs]
        asked = [_ordered(lists[n], i, j) for _score, n, i, j in queue]
        report = judge_pairs(model, [(lists[n].texts[a], lists[n].texts[b])
                                     for (_s, n, _i, _j), (a, b) in zip(queue, asked, strict=True)],
                             policy.judge_batch)
        stats.judge_seconds += report.seconds
        stats.judged_pairs += len(queue)
        if report.failures:
            ws.notes.append(f"the model failed on {report.failures} request(s); those pairs were handled as "
                            "without a model")
        for (_score, n, i, j), judgement in zip(queue, report.judgements, strict=True):
            verdicts[(n, i, j)] = judgement
    for n, candidates in enumerate(lists):
        _act(candidates, n, verdicts, judging, ws)


def _record_text(record: Record) -> str:
    if isinstance(record, LearningRecord):
        return f"{record.title}. {record.learning}"
    if isinstance(record, DecisionRecord):
        return f"{record.title_text()}. {record.decision}"
    return record.title_text()


def _ordered(candidates: Candidates, i: int, j: int) -> tuple[int, int]:
    """The pair as (older, newer)."""
    return (i, j) if (candidates.times[i], i) <= (candidates.times[j], j) else (j, i)


def _act(candidates: Candidates, n: int, verdicts: dict[tuple[int, int, int], Judgement | None], judging: bool,
         ws: Workspace) -> None:
    threshold = ws.policy.near_threshold
    duplicates: list[tuple[int, int, float, Judgement | None]] = []
    contradictions: list[tuple[int, int, float]] = []
    for i, j, score in candidates.pairs:
        judgement = verdicts.get((n, i, j))
        if judgement is None:
            if score >= threshold:
                duplicates.append((i, j, score, None))
        elif judgement.verdict == "duplicate":
            duplicates.append((i, j, score, judgement))
        elif judgement.verdict == "contradiction":
            contradictions.append((i, j, score))
    superseded: set[int] = set()
    for i, j, score in contradictions:
        older, newer = _ordered(candidates, i, j)
        if older in superseded or newer in superseded:
            continue
        superseded.add(older)
        reason = (f'contradiction (cosine {score:.2f}, judged by the model): "{one_line(candidates.texts[older])}" → '
                  f'"{one_line(candidates.texts[newer])}"')
        if candidates.path is not None:
            assert candidates.section is not None
            supersede_item(candidates.unit, ws, candidates.path, candidates.section, candidates.members[newer],
                           [candidates.members[older]], reason)
        else:
            supersede_record(candidates.unit, ws, candidates.members[newer], candidates.members[older], reason)
    groups: list[ItemGroup] = []
    for component, score, judgement in _components(duplicates, superseded):
        how = "judged a duplicate by the model" if judgement is not None else f"at or above {threshold:.2f}"
        reason = f"near duplicate (cosine {score:.2f}, {how})"
        merged = judgement.merged if judgement is not None and len(component) == 2 else None
        if candidates.path is not None:
            groups.append(ItemGroup(tuple(candidates.members[k] for k in component), reason, merged))
        else:
            merge_records(candidates.unit, ws, [candidates.members[k] for k in component], reason, merged)
    if groups:  # one call per list: merging removes items, so indices must all refer to the same list
        assert candidates.path is not None and candidates.section is not None
        merge_item_groups(candidates.unit, ws, candidates.path, candidates.section, groups)


def _components(edges: list[tuple[int, int, float, Judgement | None]],
                excluded: set[int]) -> list[tuple[list[int], float, Judgement | None]]:
    """Connected groups of duplicate pairs (members superseded meanwhile left out), best score first."""
    parent: dict[int, int] = {}

    def find(k: int) -> int:
        parent.setdefault(k, k)
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    best: dict[int, tuple[float, Judgement | None]] = {}
    for i, j, score, judgement in edges:
        if i in excluded or j in excluded:
            continue
        a, b = find(i), find(j)
        if a != b:
            parent[b] = a
        for k in (i, j):
            best.setdefault(k, (score, judgement))
    groups: dict[int, list[int]] = {}
    for k in parent:
        groups.setdefault(find(k), []).append(k)
    out = []
    for members in groups.values():
        if len(members) > 1:
            score, judgement = max((best[k] for k in members), key=lambda pair: pair[0])
            out.append((sorted(members), score, judgement))
    return sorted(out, key=lambda entry: -entry[1])
