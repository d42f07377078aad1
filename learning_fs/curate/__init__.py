"""The curator: dedup, supersede, expire, prune and budget what agents learned, as reviewable commits.

``Curator(repo).run()`` plans a run (``curator.py``) over units that never mix users or
namespaces (``scope.py``), passes each through expiry and pruning (``lifecycle.py``), exact and
near-duplicate merging (``dedup.py``, ``near.py`` with ``vectors.py`` and, optionally, the model in
``judge.py``), contradiction superseding (``supersede.py``) and the always-loaded budget
(``budget.py``), and commits the plan (``plan.py``) as one commit or one proposal. ``recall_log.py``
records when memories were recalled, without a commit per read, for staleness and the budget.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from learning_fs.curate.curator import CurationResult, Curator
    from learning_fs.curate.plan import Action, CurationPlan, CurationStats
    from learning_fs.curate.policy import CurationPolicy
    from learning_fs.curate.recall_log import RecallLog
    from learning_fs.curate.vectors import VectorCache, similar_pairs

# Loaded on first use: the machine imports ``recall_log`` on every start and must not pay for numpy.
_HOMES = {
    "Action": "plan", "CurationPlan": "plan", "CurationStats": "plan", "CurationPolicy": "policy",
    "CurationResult": "curator", "Curator": "curator", "RecallLog": "recall_log", "VectorCache": "vectors",
    "similar_pairs": "vectors",
}

__all__ = [
    "Action",
    "CurationPlan",
    "CurationPolicy",
    "CurationResult",
    "CurationStats",
    "Curator",
    "RecallLog",
    "VectorCache",
    "similar_pairs",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)
