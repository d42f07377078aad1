"""Token budgets for context blocks: a cheap estimate and a trim that keeps whole lines.

The estimate is ``characters / 4`` (the usual rule of thumb for English with BPE tokenizers):
it costs nothing on the hot recall path, and a budget is a ceiling to stay well under, not an
exact count. A real tokenizer would cost more than the whole recall it guards.
"""

from __future__ import annotations

CHARS_PER_TOKEN = 4
TRUNCATION_MARK = "… (more omitted to fit the context budget)"


def estimate_tokens(text: str) -> int:
    """Roughly how many tokens ``text`` costs a model (``len / 4``, rounded up)."""
    return -(-len(text) // CHARS_PER_TOKEN)


def fit(text: str, budget_tokens: int | None) -> str:
    """``text`` trimmed to about ``budget_tokens``: whole lines kept in order, then a mark saying so.

    Callers put the most important lines first (stores order by relevance), so trimming from the
    end drops what matters least. ``None`` or a negative budget means no limit.
    """
    if budget_tokens is None or budget_tokens < 0 or estimate_tokens(text) <= budget_tokens:
        return text
    room = budget_tokens * CHARS_PER_TOKEN - len(TRUNCATION_MARK) - 1
    if room <= 0:
        return ""
    kept: list[str] = []
    used = 0
    for line in text.split("\n"):
        if used + len(line) + 1 > room:
            if not kept:  # a single huge first line: cut it rather than return nothing
                kept.append(line[: max(room - 1, 0)].rstrip())
            break
        kept.append(line)
        used += len(line) + 1
    while kept and not kept[-1].strip():
        kept.pop()
    return "\n".join([*kept, TRUNCATION_MARK]) if kept else ""


class BudgetPlan:
    """How one context budget is shared by the blocks of a turn, decided block by block.

    Each block has its own budget (a store's ``context_budget``) and the blocks together have
    ``total``. A block is *guaranteed* its own budget (scaled down in proportion when the own
    budgets add up to more than the total), and may use more when room is left: a block is
    granted everything not yet used minus what the blocks after it are guaranteed. What a block
    does not use goes to the ones after it. So a store with nothing relevant costs nothing, a
    store with much that is relevant (a user's long memories) gets the room the others left,
    and no block is starved by one before it.

    ``wrappers`` are the tokens each block's delimiters cost, charged to the block.
    """

    def __init__(self, total: int, own: list[int | None], wrappers: list[int]) -> None:
        self.total = max(0, total)
        self.remaining = self.total
        wanted = [(o or 0) + w for o, w in zip(own, wrappers, strict=True)]
        scale = min(1.0, self.total / sum(wanted)) if sum(wanted) else 1.0
        self._reserved = [int(w * scale) for w in wanted]
        self._wrappers = wrappers
        self._next = 0

    def grant(self, block: int) -> int:
        """Tokens block ``block`` (0-based, in order) may use now, its delimiters not counted."""
        later = sum(self._reserved[block + 1 :])
        grant = max(self.remaining - later, min(self._reserved[block], self.remaining))
        return max(0, grant - self._wrappers[block])

    def spend(self, block: int, tokens: int) -> None:
        """Record that block ``block`` used ``tokens`` (0 for an empty block: no delimiters either)."""
        self.remaining = max(0, self.remaining - tokens - (self._wrappers[block] if tokens else 0))
