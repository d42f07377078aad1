"""Review: proposals (list, show, approve, reject, push) and ``check``, the CI gate of a memory repository.

People govern what an agent learns the way they govern code: a proposal is a branch with the
evidence in its commit, approved by a merge or rejected with a reason the extractor is shown
next time; ``check`` keeps malformed files, duplicates and leaked secrets out of the main branch.

Names are loaded on first use, so a store that only reads rejections does not import the rest.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS: dict[str, str] = {
    "Approval": "learning_fs.review.decide",
    "CheckReport": "learning_fs.review.findings",
    "CheckSettings": "learning_fs.review.settings",
    "Finding": "learning_fs.review.findings",
    "Proposal": "learning_fs.review.proposals",
    "Pushed": "learning_fs.review.remote",
    "Rejection": "learning_fs.review.rejections",
    "approve": "learning_fs.review.decide",
    "check": "learning_fs.review.checks",
    "check_commit": "learning_fs.review.checks",
    "compare_url": "learning_fs.review.remote",
    "get_proposal": "learning_fs.review.proposals",
    "list_proposals": "learning_fs.review.proposals",
    "list_rejections": "learning_fs.review.rejections",
    "propose_learning": "learning_fs.review.propose",
    "proposal_diff": "learning_fs.review.proposals",
    "push": "learning_fs.review.remote",
    "reject": "learning_fs.review.decide",
    "rejected_examples": "learning_fs.review.rejections",
}

__all__ = [
    "Approval",
    "CheckReport",
    "CheckSettings",
    "Finding",
    "Proposal",
    "Pushed",
    "Rejection",
    "approve",
    "check",
    "check_commit",
    "compare_url",
    "get_proposal",
    "list_proposals",
    "list_rejections",
    "proposal_diff",
    "propose_learning",
    "push",
    "reject",
    "rejected_examples",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'learning_fs.review' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__


if TYPE_CHECKING:
    from learning_fs.review.checks import check, check_commit
    from learning_fs.review.decide import Approval, approve, reject
    from learning_fs.review.findings import CheckReport, Finding
    from learning_fs.review.proposals import Proposal, get_proposal, list_proposals, proposal_diff
    from learning_fs.review.propose import propose_learning
    from learning_fs.review.rejections import Rejection, list_rejections, rejected_examples
    from learning_fs.review.remote import Pushed, compare_url, push
    from learning_fs.review.settings import CheckSettings
