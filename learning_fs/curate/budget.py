"""Keep each user's always-loaded context under a token budget by demoting and promoting memories.

A user's profile and memories are loaded into every conversation, so they must not grow past
what the model should read each turn. The curator decides, in a commit a person can review,
which memories stay always-loaded: pinned ones first, then the most recently recalled, then the
most recently stated, until the budget (the profile counts against it) is spent. The rest get
``demoted=true``: user-memory recall leaves them out unless the message is about them, and
search still finds them. A demoted memory that makes the cut again (recalled recently, or
room freed) is promoted back. The estimate is the one recall uses (``len / 4``).
"""

from __future__ import annotations

from learning_fs.context import estimate_tokens
from learning_fs.curate.lifecycle import priority
from learning_fs.curate.scope import Unit
from learning_fs.curate.text import is_demoted, is_pinned, one_line
from learning_fs.curate.workspace import Workspace
from learning_fs.format.items import Item
from learning_fs.format.records import MemoriesRecord, ProfileRecord

DEMOTED = "demoted"
ITEM_OVERHEAD = 2  # tokens a memory line costs beyond its text (bullet, newline): as user-memory recall counts


def memory_cost(item: Item) -> int:
    return estimate_tokens(item.text) + ITEM_OVERHEAD


def profile_cost(profile: ProfileRecord | None) -> int:
    if profile is None:
        return 0
    return sum(estimate_tokens(f"{key}: {value}") + 1 for key, value in profile.fields.items() if value)


def rebalance(unit: Unit, ws: Workspace) -> None:
    """Demote the memories that do not fit the budget, promote demoted ones that do."""
    if not unit.private:
        return
    budget = ws.policy.budget_tokens
    profile = next((r for _, r in unit.records("profile") if isinstance(r, ProfileRecord)), None)
    for path, record in list(unit.records("memories")):
        assert isinstance(record, MemoriesRecord)
        active = [i for i, item in enumerate(record.memories) if item.active]
        used = profile_cost(profile)
        keep: set[int] = set()
        pinned = [i for i in active if is_pinned(record.memories[i])]
        for i in pinned:
            keep.add(i)
            used += memory_cost(record.memories[i])
        ranked = sorted((i for i in active if i not in keep),
                        key=lambda i: (priority(ws, record.memories[i]), i), reverse=True)
        for i in ranked:
            cost = memory_cost(record.memories[i])
            if used + cost > budget:
                break  # strictly by rank: what comes after the first misfit is demoted too
            keep.add(i)
            used += cost
        demote = [i for i in active if i not in keep and not is_demoted(record.memories[i])]
        promote = [i for i in active if i in keep and is_demoted(record.memories[i])]
        if not demote and not promote:
            continue
        items = unit.edit(path).memories  # type: ignore[attr-defined]
        for i in demote:
            items[i].extra[DEMOTED] = "true"
            ws.act(unit, "demote", [path], [items[i].id],
                   f'"{one_line(items[i].text)}": always-loaded context over {budget} tokens; '
                   "least recently recalled (still searchable)")
        for i in promote:
            del items[i].extra[DEMOTED]
            ws.act(unit, "promote", [path], [items[i].id],
                   f'"{one_line(items[i].text)}": fits the {budget}-token always-loaded context again')
