"""Background learning that is never lost: which turns are still being learned, and waiting for them.

Extraction runs after the reply (``background.py``), so a script that asks its next question at
once, prints what was learned, or simply exits could otherwise race its own learning. This
module keeps the turns in flight with the user, session and stores they concern, so that:

- the next ``recall``/``build_context`` for the same user or session waits (bounded) for that
  user's or session's pending turns: the next question sees the previous answer's learning;
  other users never wait;
- ``close()`` waits a bounded time and says in the log what it gave up on;
- at interpreter exit every open machine finishes its queue (bounded) before Python stops its
  thread pools, with a log line naming what is still pending.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from concurrent.futures import wait as wait_all
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

WORKER_PREFIX = "learning-fs"
"""Thread-name prefix of the background worker's threads: they never wait on themselves."""
DEFAULT_PENDING_WAIT = 30.0
"""Seconds a recall waits for the same user's or session's turn still being learned."""
DEFAULT_EXIT_WAIT = 60.0
"""Seconds ``close()`` and interpreter exit wait for queued learning before giving up (logged)."""


@dataclass(frozen=True)
class PendingTurn:
    """One submitted turn: who it is about and which stores learn from it."""

    user_id: str | None
    session_id: str | None
    stores: tuple[str, ...]
    submitted: float

    def describe(self) -> str:
        who = f"user {self.user_id}" if self.user_id else "no user"
        where = f", session {self.session_id}" if self.session_id else ""
        return f"{'+'.join(self.stores) or 'curation'} ({who}{where})"


class PendingTurns:
    """The turns a machine has queued and not finished, keyed by their future."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._turns: dict[Future[None], PendingTurn] = {}

    def add(self, future: Future[None], user_id: str | None, session_id: str | None,
            stores: Iterable[str]) -> None:
        turn = PendingTurn(user_id, session_id, tuple(stores), time.monotonic())
        with self._lock:
            self._turns[future] = turn
        future.add_done_callback(self._forget)

    def matching(self, user_id: str | None = None, session_id: str | None = None) -> list[Future[None]]:
        """Futures of pending turns for ``user_id`` or ``session_id`` (both ``None``: every turn)."""
        with self._lock:
            items = list(self._turns.items())
        if user_id is None and session_id is None:
            return [future for future, _ in items]
        return [future for future, turn in items
                if (user_id is not None and turn.user_id == user_id)
                or (session_id is not None and turn.session_id == session_id)]

    def wait_for(self, user_id: str | None = None, session_id: str | None = None,
                 timeout: float | None = DEFAULT_PENDING_WAIT) -> bool:
        """Wait for the matching turns; ``True`` when none is left. Never waits on a worker thread."""
        if in_worker_thread():
            return True
        futures = self.matching(user_id, session_id)
        if not futures:
            return True
        started = time.monotonic()
        _done, not_done = wait_all(futures, timeout=timeout)
        waited = time.monotonic() - started
        if not_done:
            log.warning("waited %.1f s for learning still in progress; going on without: %s",
                        waited, self.describe(not_done))
        elif waited > 0.05:
            log.debug("waited %.2f s for the previous turn's learning", waited)
        return not not_done

    def describe(self, futures: Iterable[Future[None]] | None = None) -> str:
        """``"user_profile+user_memory (user alice, session s1); …"`` for log lines."""
        with self._lock:
            turns = [self._turns[f] for f in (futures if futures is not None else list(self._turns))
                     if f in self._turns]
        return "; ".join(turn.describe() for turn in turns) or "nothing"

    def __len__(self) -> int:
        with self._lock:
            return len(self._turns)

    def _forget(self, future: Future[None]) -> None:
        with self._lock:
            self._turns.pop(future, None)


def in_worker_thread() -> bool:
    return threading.current_thread().name.startswith(WORKER_PREFIX)


# -- interpreter exit ---------------------------------------------------------------------------
_open_machines: weakref.WeakSet[Any] = weakref.WeakSet()
_registered = False
_register_lock = threading.Lock()


def finish_at_exit(machine: Any) -> None:
    """Have ``machine.finish_pending(...)`` run when the interpreter exits (once per process).

    The hook is registered with ``threading``'s exit hooks, which run in reverse order of
    registration *before* Python joins its thread pools: the machine's queued turns are still
    accepted then, and a bounded wait with a log line is possible. (A plain ``atexit`` hook
    would run after the pools were shut down, too late to log or bound anything.)
    """
    global _registered
    _open_machines.add(machine)
    with _register_lock:
        if _registered:
            return
        register: Callable[[Callable[[], None]], None] | None = getattr(threading, "_register_atexit", None)
        if register is None:  # pragma: no cover - every supported Python has it
            import atexit

            atexit.register(_finish_all)
        else:
            register(_finish_all)
        _registered = True


def forget_at_exit(machine: Any) -> None:
    _open_machines.discard(machine)


def _finish_all() -> None:
    for machine in list(_open_machines):
        try:
            machine.finish_pending(DEFAULT_EXIT_WAIT, reason="the interpreter is exiting")
        except Exception:  # exit must go on whatever one machine does
            log.exception("could not finish background learning at exit")
