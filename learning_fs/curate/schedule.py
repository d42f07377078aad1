"""When a ``LearningMachine(curate_every=...)`` curates: every N turns, or at most once per interval.

The schedule counts the turns the machine processes and remembers whose they were; when a run is
due it hands back those users, and the machine queues ONE curation of their folders (and of its
namespace) on its background worker, behind the extraction already queued. The run is small —
the users who talked since the last one — so it stays cheap however big the repository is.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from typing import Any

log = logging.getLogger(__name__)


class CurationSchedule:
    """``every``: an ``int`` (turns) or a ``datetime.timedelta`` (checked after each turn)."""

    def __init__(self, every: int | dt.timedelta, clock: Any = time.monotonic) -> None:
        if isinstance(every, bool) or not isinstance(every, (int, dt.timedelta)):
            raise TypeError(f"curate_every takes a number of turns or a datetime.timedelta, not {every!r}")
        if (every if isinstance(every, int) else every.total_seconds()) <= 0:
            raise ValueError(f"curate_every must be positive, got {every!r}")
        self.every = every
        self._clock = clock
        self._turns = 0
        self._last = clock()
        self._users: set[str] = set()
        self._lock = threading.Lock()

    def turn(self, user_id: str | None) -> list[str] | None:
        """Count a turn; the users to curate when a run is due now, else None."""
        with self._lock:
            self._turns += 1
            if user_id:
                self._users.add(user_id)
            if isinstance(self.every, int):
                due = self._turns >= self.every
            else:
                due = self._clock() - self._last >= self.every.total_seconds()
            if not due:
                return None
            users, self._users, self._turns, self._last = sorted(self._users), set(), 0, self._clock()
            return users


def curate_quietly(curator: Any, users: list[str], namespace: str | None) -> None:
    """One background run: its outcome is logged, and a failure never reaches the agent."""
    if not users and namespace in (None, "user"):
        return  # nobody talked, and no shared namespace: never widen a background run to everyone
    try:
        result = curator.run(users=users, namespace=namespace)
    except Exception:
        log.exception("background curation failed; the next one will try again")
        return
    if result.commit is not None:
        log.info("curated %s: %s (%s)", result.plan.scope, result.plan.summary(), result.commit.short)
