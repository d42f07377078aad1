"""Line-wise three-way merge (diff3) for the text people own: free text in records, other files.

Why not shell out to ``git merge-file``: the record merge runs inside writes and merge drivers,
per text field, so a process per call would cost more than the merge; and the format layer knows
nothing of git. The algorithm is the classic one (Khanna, Kunal and Pierce's diff3; the same
regions bzr's ``merge3`` and git's xdiff find): lines both sides kept from the base split the
files into stable regions; between them, a region changed on one side only takes that change, a
region changed the same way on both takes it once, and a region changed differently on both is a
conflict. Like git's "zealous" merge, lines a conflict's two sides share at its start or end are
taken out of it, so two sides that both append after the same line only conflict on what differs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher


@dataclass(frozen=True)
class Chunk:
    """A run of merged lines: ``lines`` when clean; ``base``/``ours``/``theirs`` when a conflict."""

    lines: tuple[str, ...] = ()
    conflict: bool = False
    base: tuple[str, ...] = ()
    ours: tuple[str, ...] = ()
    theirs: tuple[str, ...] = ()


def _sync_regions(base: Sequence[str], ours: Sequence[str],
                  theirs: Sequence[str]) -> list[tuple[int, int, int, int, int, int]]:
    """Regions of ``base`` kept unchanged by both sides: (base start, end, ours start, end, theirs start, end)."""
    a_blocks = SequenceMatcher(None, base, ours, autojunk=False).get_matching_blocks()
    b_blocks = SequenceMatcher(None, base, theirs, autojunk=False).get_matching_blocks()
    regions = []
    ia = ib = 0
    while ia < len(a_blocks) and ib < len(b_blocks):
        a_base, a_at, a_len = a_blocks[ia]
        b_base, b_at, b_len = b_blocks[ib]
        start, end = max(a_base, b_base), min(a_base + a_len, b_base + b_len)
        if start < end:
            a_start, b_start = a_at + start - a_base, b_at + start - b_base
            regions.append((start, end, a_start, a_start + end - start, b_start, b_start + end - start))
        if a_base + a_len < b_base + b_len:
            ia += 1
        else:
            ib += 1
    regions.append((len(base), len(base), len(ours), len(ours), len(theirs), len(theirs)))
    return regions


def merge_lines(base: Sequence[str], ours: Sequence[str], theirs: Sequence[str]) -> list[Chunk]:
    """Merge three versions of a list of lines into clean and conflicting chunks, in order."""
    chunks: list[Chunk] = []
    iz = ia = ib = 0
    for z_start, z_end, a_start, a_end, b_start, b_end in _sync_regions(base, ours, theirs):
        z, a, b = tuple(base[iz:z_start]), tuple(ours[ia:a_start]), tuple(theirs[ib:b_start])
        if a == b:
            _clean(chunks, a)
        elif a == z:
            _clean(chunks, b)
        elif b == z:
            _clean(chunks, a)
        else:
            _conflict(chunks, z, a, b)
        _clean(chunks, tuple(base[z_start:z_end]))
        iz, ia, ib = z_end, a_end, b_end
    return chunks


def _clean(chunks: list[Chunk], lines: tuple[str, ...]) -> None:
    if not lines:
        return
    if chunks and not chunks[-1].conflict:
        chunks[-1] = Chunk(lines=chunks[-1].lines + lines)
    else:
        chunks.append(Chunk(lines=lines))


def _conflict(chunks: list[Chunk], base: tuple[str, ...], ours: tuple[str, ...], theirs: tuple[str, ...]) -> None:
    """A conflict, less the lines both sides share at its start and end (git's zealous merge)."""
    head = 0
    while head < min(len(ours), len(theirs)) and ours[head] == theirs[head]:
        head += 1
    tail = 0
    while tail < min(len(ours), len(theirs)) - head and ours[-1 - tail] == theirs[-1 - tail]:
        tail += 1
    _clean(chunks, ours[:head])
    chunks.append(Chunk(conflict=True, base=base, ours=ours[head:len(ours) - tail],
                        theirs=theirs[head:len(theirs) - tail]))
    _clean(chunks, ours[len(ours) - tail:])


def split_lines(text: str) -> list[str]:
    """Lines without their newlines; the empty text has none."""
    return text.split("\n") if text else []
