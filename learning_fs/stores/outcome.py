"""What one store did with one turn: saved N, nothing to save, refused, failed because …

Extraction runs in the background, so a store that learns nothing looks exactly like a store
that had nothing to learn — unless it says which. ``BaseStore.process`` returns a
:class:`StoreOutcome`; the machine keeps the latest per store in ``machine.last_turn``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Status = Literal["saved", "nothing", "refused", "failed", "skipped"]


@dataclass(frozen=True)
class StoreOutcome:
    """One store's result for one turn.

    ``saved``: tool calls whose change was committed (or proposed, in PROPOSE mode);
    ``refused``: write calls that were refused (grounding, validation, a tool's ``Error: …``);
    ``reason``: why nothing was saved, in words a person can act on; ``commit``: the turn's commit.
    """

    store: str
    status: Status
    saved: int = 0
    refused: int = 0
    reason: str | None = None
    commit: str | None = None

    @property
    def ok(self) -> bool:
        """False only when the store could not do its job (a model error, every save refused)."""
        return self.status not in ("failed", "refused")

    def __str__(self) -> str:
        if self.status == "saved":
            text = f"saved {self.saved}" + (f" ({self.commit[:10]})" if self.commit else "")
            return text + (f", refused {self.refused}" if self.refused else "")
        labels = {"nothing": "nothing to save", "refused": f"refused {self.refused}", "failed": "failed",
                  "skipped": "skipped"}
        return labels[self.status] + (f": {self.reason}" if self.reason else "")
