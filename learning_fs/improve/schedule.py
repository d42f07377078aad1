"""``SelfImprovementConfig`` and the schedule on which a ``LearningMachine`` runs the analyser.

The machine counts the turns it processes; when a run is due it queues ONE analysis on its
background worker, behind the turn's extraction (so the turn's own feedback is already
committed). The analysis only proposes: its branches wait for a person, so running it often
costs a few file reads and nothing a reviewer has not seen.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import dataclass
from typing import Any


@dataclass(kw_only=True)
class SelfImprovementConfig:
    """What the analyser looks for and when it runs.

    Args:
        every: Run every N turns (an ``int``) or at most once per interval (a ``timedelta``).
        min_corrections: Corrections of the same kind before an instruction is proposed (or reworded).
        min_users: Distinct users among them (2 or more keeps one person's taste out of the agent's rules).
        min_failures: Failed runs a learning (or a rule) must be part of before it is demoted (retired).
        failure_ratio: Share of its rated runs that failed, at least, for a demotion or a retirement.
        similarity: Word overlap at which two corrections (or a correction and a rule) are the same kind.
        use_model: Word proposals with the machine's model when it has one (the counting never uses it).
        demote_learnings, reword_rules, retire_rules: Which kinds of proposal to make (adding is always on).
        agent: Whose instructions (default: the machine's ``agent_id``, else ``default``).
    """

    every: int | dt.timedelta = 25
    min_corrections: int = 3
    min_users: int = 1
    min_failures: int = 3
    failure_ratio: float = 0.75
    similarity: float = 0.6
    use_model: bool = True
    demote_learnings: bool = True
    reword_rules: bool = True
    retire_rules: bool = True
    agent: str | None = None

    def __post_init__(self) -> None:
        every = self.every
        if isinstance(every, bool) or not isinstance(every, (int, dt.timedelta)):
            raise TypeError(f"every takes a number of turns or a datetime.timedelta, not {every!r}")
        if (every if isinstance(every, int) else every.total_seconds()) <= 0:
            raise ValueError(f"every must be positive, got {every!r}")
        if self.min_corrections < 1 or self.min_users < 1 or self.min_failures < 1:
            raise ValueError("min_corrections, min_users and min_failures must be at least 1")


class ImprovementSchedule:
    """Counts turns; :meth:`turn` is True when an analysis is due."""

    def __init__(self, config: SelfImprovementConfig, clock: Any = time.monotonic) -> None:
        self.config = config
        self._clock = clock
        self._turns = 0
        self._last = clock()
        self._lock = threading.Lock()

    @classmethod
    def from_spec(cls, spec: Any) -> ImprovementSchedule:
        """``True``, an ``int`` (every N turns), a ``timedelta`` or a :class:`SelfImprovementConfig`."""
        if spec is True:
            return cls(SelfImprovementConfig())
        if isinstance(spec, SelfImprovementConfig):
            return cls(spec)
        if isinstance(spec, (int, dt.timedelta)) and not isinstance(spec, bool):
            return cls(SelfImprovementConfig(every=spec))
        raise TypeError(f"self_improvement takes True, a number of turns, a timedelta or a SelfImprovementConfig, "
                        f"not {spec!r}")

    def turn(self) -> bool:
        with self._lock:
            self._turns += 1
            every = self.config.every
            due = self._turns >= every if isinstance(every, int) else \
                self._clock() - self._last >= every.total_seconds()
            if due:
                self._turns, self._last = 0, self._clock()
            return due
