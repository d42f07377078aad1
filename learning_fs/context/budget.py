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
