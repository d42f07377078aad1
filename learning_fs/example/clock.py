"""A story clock and seeded ids, so the example repository is the same, commit for commit, every time.

The library stamps what it writes with the wall clock — commit times, ``created``/``updated`` in
files, rejection dates — and gives records random ids. An example history must instead be
*reproducible* (running ``learning-fs example`` twice gives the same commit shas) and *spread
over weeks* (so the notebooks show curves, not a spike). While the story is being built:

* :class:`StoryRepo` dates every commit it makes (transactions, merges) at the story clock;
* :func:`story_time` points the format's ``now()`` and the review workflow's rejection stamp at
  the same clock, and draws record and item ids from a seeded generator.

Nothing else changes, and everything is restored when the ``with`` block ends. The library has no
public hook for "what time is it" yet; these are the three places that ask (format/records.py,
review/rejections.py, repo's commit signature), named here so a future hook can replace them.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib
import random
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pygit2

from learning_fs.format import ids
from learning_fs.repo import MemoryRepo

# Modules that call ``dt.datetime.now(...)`` for a timestamp that ends up in a committed file.
_STAMPING_MODULES = ("learning_fs.format.records", "learning_fs.ops.rejections")


class StoryClock:
    """The story's "now": starts at ``start`` (timezone-aware) and only moves when told to."""

    def __init__(self, start: dt.datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("the story clock needs a timezone-aware start")
        self.start = start
        self.now = start

    def set(self, day: int, hour: int, minute: int = 0) -> dt.datetime:
        """Move to ``day`` days after the start at ``hour:minute`` (never backwards)."""
        moment = self.start.replace(hour=hour, minute=minute) + dt.timedelta(days=day)
        self.now = max(moment, self.now + dt.timedelta(seconds=1))
        return self.now

    def tick(self, minutes: float = 1.0) -> dt.datetime:
        self.now += dt.timedelta(minutes=minutes)
        return self.now

    def timestamp(self) -> float:
        return self.now.timestamp()


class StoryRepo(MemoryRepo):
    """A ``MemoryRepo`` whose commits are dated by a :class:`StoryClock` unless a date is given."""

    def __init__(self, path: str | Path, *, clock: StoryClock, **kwargs: Any) -> None:
        self.clock = clock
        super().__init__(path, **kwargs)

    def _signature(self, when: dt.datetime | None, author: pygit2.Signature | None) -> tuple[Any, Any]:
        return super()._signature(when or self.clock.now, author)


class _SeededSecrets:
    """Stands in for the ``secrets`` module inside :mod:`learning_fs.format.ids` (only ``token_bytes``)."""

    def __init__(self, seed: int) -> None:
        self._random = random.Random(seed)

    def token_bytes(self, count: int = 32) -> bytes:
        return self._random.randbytes(count)


def _datetime_module(clock: StoryClock) -> types.ModuleType:
    """A copy of the ``datetime`` module whose ``datetime.now()`` reads the story clock."""

    class StoryDatetime(dt.datetime):
        @classmethod
        def now(cls, tz: dt.tzinfo | None = None) -> StoryDatetime:
            moment = cls.fromtimestamp(clock.now.timestamp(), tz or dt.timezone.utc)
            return moment if tz is not None else moment.replace(tzinfo=None)

    shim = types.ModuleType("datetime")
    shim.__dict__.update(vars(dt))
    shim.datetime = StoryDatetime  # type: ignore[attr-defined]
    return shim


@contextlib.contextmanager
def story_time(clock: StoryClock, seed: int) -> Iterator[None]:
    """Stamp files at ``clock`` and draw ids from ``seed`` until the block ends (see the module docstring)."""
    shim = _datetime_module(clock)
    saved: list[tuple[types.ModuleType, str, object]] = [(ids, "secrets", vars(ids)["secrets"])]
    vars(ids)["secrets"] = _SeededSecrets(seed)
    try:
        for name in _STAMPING_MODULES:
            try:
                module = importlib.import_module(name)
            except ImportError:  # the review workflow is optional here
                continue
            saved.append((module, "dt", module.dt))
            module.dt = shim  # type: ignore[attr-defined]
        yield
    finally:
        for module, attribute, value in reversed(saved):
            setattr(module, attribute, value)
