"""The background worker: extraction runs here, after the reply, never in front of it.

One dispatcher thread takes turns in the order they were submitted, so a session's second turn
is extracted after its first (its context update builds on the first one). Inside a turn the
stores extract at the same time on a small pool: they write different files and the repository
serialises the commits. A failing job is logged and the worker carries on; ``wait()`` returns
when everything submitted so far has finished.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_all

log = logging.getLogger(__name__)


class BackgroundWorker:
    """Runs submitted turns one after another, each turn's store jobs side by side."""

    def __init__(self, name: str = "learning-fs", max_parallel: int = 4) -> None:
        self._turns = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"{name}-turns")
        self._stores = ThreadPoolExecutor(max_workers=max_parallel, thread_name_prefix=f"{name}-stores")
        self._pending: set[Future[None]] = set()
        self._lock = threading.Lock()
        self._closed = False

    def submit(self, jobs: Sequence[Callable[[], None]]) -> Future[None]:
        """Queue one turn: ``jobs`` run in parallel once every earlier turn is done."""
        with self._lock:
            if self._closed:
                raise RuntimeError("the learning machine is closed; create a new one to keep learning")
            future = self._turns.submit(self._run_turn, list(jobs))
            self._pending.add(future)
        future.add_done_callback(self._forget)
        return future

    def wait(self, timeout: float | None = None) -> bool:
        """Block until every turn submitted so far has been extracted; False on timeout."""
        with self._lock:
            pending = set(self._pending)
        if not pending:
            return True
        _done, not_done = wait_all(pending, timeout=timeout)
        return not not_done

    @property
    def busy(self) -> bool:
        with self._lock:
            return bool(self._pending)

    def close(self, wait: bool = True) -> None:
        """Stop taking work; with ``wait`` finish what is queued first."""
        with self._lock:
            self._closed = True
        self._turns.shutdown(wait=wait)
        self._stores.shutdown(wait=wait)

    def abandon(self) -> None:
        """Stop taking work and drop the turns not started yet (the running ones finish)."""
        with self._lock:
            self._closed = True
        self._turns.shutdown(wait=False, cancel_futures=True)
        self._stores.shutdown(wait=False)

    def _run_turn(self, jobs: list[Callable[[], None]]) -> None:
        if len(jobs) == 1:
            _guarded(jobs[0])
            return
        futures: list[Future[None]] = []
        for index, job in enumerate(jobs):
            try:
                futures.append(self._stores.submit(_guarded, job))
            except RuntimeError:  # the pool is shutting down (interpreter exit): the rest run here
                for rest in jobs[index:]:
                    _guarded(rest)
                break
        wait_all(futures)

    def _forget(self, future: Future[None]) -> None:
        with self._lock:
            self._pending.discard(future)


def _guarded(job: Callable[[], None]) -> None:
    try:
        job()
    except Exception:  # the job logs its own store errors; this is the last line of defence
        log.exception("background learning job failed")
