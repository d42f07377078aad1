"""Follow hand edits live: a watchdog observer on the content folders, debounced, checked against git.

Only the content folders (``users/``, ``learnings/``…) are watched recursively, plus the
repository root without recursion (to see a content folder appear or vanish): watching the
root recursively would deliver ~300 ``.git`` events per commit. File events are reduced to
*paths that may have changed* and handed, in batches, to :meth:`IndexSync.refresh` — the same
code path as write-through and catch-up — which reads each file and compares blobs, so the
shape of the events does not matter:

* an editor's atomic save arrives only as ``moved tmp -> note.md``: ``note.md`` is refreshed;
* a vim-style save moves ``note.md`` to a backup first: the path is refreshed once the burst
  settles, by which time the new file is there;
* deletes and renames refresh both ends (a renamed folder: every indexed path under the old
  name and every file under the new one);
* a burst of 1,000 files becomes a few batches of the index's bulk upsert.

A batch is applied once no event came for ``debounce`` seconds (or ``max_delay`` after its first
event, so a steady stream cannot starve it). Because a kernel queue overflow is only logged by
watchdog, the watcher also runs :meth:`IndexSync.catch_up` every ``reconcile_every`` seconds.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from learning_fs.format.layout import CONTENT_FOLDERS
from learning_fs.index.documents import is_content_path
from learning_fs.index.sync import SyncReport, walk_content

if TYPE_CHECKING:
    from watchdog.observers.api import BaseObserver, ObservedWatch

    from learning_fs.index.sync import IndexSync

log = logging.getLogger(__name__)

DEBOUNCE = 0.3
MAX_DELAY = 2.0
RECONCILE_EVERY = 60.0
_IGNORED = {"opened", "closed_no_write"}  # reading a file is not a change


@dataclass
class WatchStatus:
    """What the watcher has done so far (for a status line)."""

    folders: list[str] = field(default_factory=list)
    events: int = 0
    batches: int = 0
    updated: int = 0
    removed: int = 0
    reconciles: int = 0
    last_report: SyncReport | None = None
    last_change: float | None = None  # time.time() of the last batch that changed the index
    last_reconcile: float | None = None
    last_error: str | None = None


@dataclass
class _Pending:
    files: set[str] = field(default_factory=set)
    rescan: set[str] = field(default_factory=set)  # folders that appeared: index every file in them
    gone: set[str] = field(default_factory=set)  # folders that vanished: drop what was indexed there
    new_roots: set[str] = field(default_factory=set)  # content folders that appeared: watch them

    def __bool__(self) -> bool:
        return bool(self.files or self.rescan or self.gone or self.new_roots)


class IndexWatcher:
    """Keeps an index current with the working tree while it runs (``start``/``stop``, or ``with``)."""

    def __init__(self, sync: IndexSync, *, debounce: float = DEBOUNCE, max_delay: float = MAX_DELAY,
                 reconcile_every: float | None = RECONCILE_EVERY,
                 on_batch: Callable[[SyncReport], Any] | None = None,
                 heal: Callable[[bool], bool] | None = None) -> None:
        self.sync = sync
        # heal(deep): rebuilds the index when its folder vanished (a stat) or, with deep, when it no
        # longer answers (after an error); True if it did.
        self.heal = heal
        self._suspect = False
        self.root = sync.root
        self.debounce = debounce
        self.max_delay = max(max_delay, debounce)
        self.reconcile_every = reconcile_every
        self.on_batch = on_batch
        self.status = WatchStatus()
        self._cond = threading.Condition()
        self._pending = _Pending()
        self._first_event = 0.0
        self._last_event = 0.0
        self._stopping = False
        self._observer: BaseObserver | None = None
        self._watches: dict[str, ObservedWatch] = {}
        self._worker: threading.Thread | None = None
        self._handler = _Handler(self)

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> IndexWatcher:
        """Start watching, then catch up once, so nothing changed before the start is missed."""
        if self._observer is not None:
            return self
        observer = Observer()
        observer.schedule(self._handler, str(self.root), recursive=False)
        self._observer = observer
        for folder in CONTENT_FOLDERS:
            if (self.root / folder).is_dir():
                self._watch(folder)
        observer.start()
        try:
            self._reconcile()
        except BaseException:
            self.stop()
            raise
        self._worker = threading.Thread(target=self._run, name="lfs-index-watcher", daemon=True)
        self._worker.start()
        return self

    def stop(self) -> None:
        """Stop the observer (releasing its inotify instances) and the worker; idempotent."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        observer, self._observer = self._observer, None
        if observer is not None:
            observer.stop()
            observer.join()
        worker, self._worker = self._worker, None
        if worker is not None and worker is not threading.current_thread():
            worker.join()
        self._watches.clear()

    def __enter__(self) -> IndexWatcher:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._observer is not None and not self._stopping

    # -- events (observer thread) --------------------------------------------------------------
    def _event(self, event: FileSystemEvent) -> None:
        if event.event_type in _IGNORED:
            return
        sources = [(_text(event.src_path), event.event_type != "moved" and event.event_type != "deleted")]
        if event.event_type == "moved":
            sources.append((_text(event.dest_path), True))
        with self._cond:
            changed = False
            for full, appeared in sources:
                rel = self._relative(full)
                if rel is not None:
                    changed |= self._note(rel, event.is_directory, appeared, event.event_type)
            if changed:
                now = time.monotonic()
                if not self._first_event:
                    self._first_event = now
                self._last_event = now
                self.status.events += 1
                self._cond.notify_all()

    def _note(self, rel: str, is_directory: bool, appeared: bool, kind: str) -> bool:
        top, _, rest = rel.partition("/")
        if top not in CONTENT_FOLDERS or any(part.startswith(".") for part in rel.split("/")):
            return False
        if not is_directory:
            if is_content_path(rel):
                self._pending.files.add(rel)
                return True
            return False
        if kind == "modified":
            return False
        if not rest:  # a content folder itself appeared or vanished
            (self._pending.new_roots if appeared else self._pending.gone).add(rel)
        else:
            (self._pending.rescan if appeared else self._pending.gone).add(rel)
        return True

    def _relative(self, full: str) -> str | None:
        rel = os.path.relpath(full, self.root)
        if rel.startswith("..") or rel == ".":
            return None
        return rel.replace(os.sep, "/")

    # -- batches (worker thread) ---------------------------------------------------------------
    def _run(self) -> None:
        next_reconcile = self._next_reconcile()
        while True:
            with self._cond:
                while not self._stopping:
                    now = time.monotonic()
                    if self._pending:
                        quiet = now - self._last_event
                        age = now - self._first_event
                        if quiet >= self.debounce or age >= self.max_delay:
                            break
                        self._cond.wait(min(self.debounce - quiet, self.max_delay - age))
                    elif next_reconcile is not None and now >= next_reconcile:
                        break
                    else:
                        self._cond.wait(None if next_reconcile is None else next_reconcile - now)
                if self._stopping:
                    return
                batch, self._pending = self._pending, _Pending()
                self._first_event = self._last_event = 0.0
            try:
                if self.heal is not None and self.heal(self._suspect):
                    self._reconcile()  # the fresh index: everything is re-added from the files
                    batch = _Pending()
                self._suspect = False
                if batch:
                    self._apply(batch)
                if next_reconcile is not None and time.monotonic() >= next_reconcile:
                    self._reconcile()
                    next_reconcile = self._next_reconcile()
            except Exception as exc:  # keep watching; the next reconcile repairs what this missed
                log.exception("index watcher: applying changes failed")
                self.status.last_error = f"{type(exc).__name__}: {exc}"
                if self.heal is not None:
                    self._suspect = True
                    next_reconcile = time.monotonic()  # check the index and catch up on the next wake-up

    def _apply(self, batch: _Pending) -> None:
        paths = set(batch.files)
        for folder in sorted(batch.new_roots):
            if (self.root / folder).is_dir():
                self._watch(folder)
                paths.update(walk_content(self.root / folder, self.root))
            else:
                batch.gone.add(folder)
        for folder in sorted(batch.rescan):
            if (self.root / folder).is_dir():
                paths.update(walk_content(self.root / folder, self.root))
        for folder in sorted(batch.gone):
            if folder in self._watches and not (self.root / folder).is_dir():
                self._unwatch(folder)
            paths.update(self.sync.indexed_paths(folder))
        report = self.sync.refresh(paths, trigger="watch")
        self.status.batches += 1
        self._record(report)

    def _reconcile(self) -> None:
        report = self.sync.catch_up()
        self.status.reconciles += 1
        self.status.last_reconcile = time.time()
        self._record(report)

    def _record(self, report: SyncReport) -> None:
        self.status.last_report = report
        self.status.updated += report.updated
        self.status.removed += report.removed
        if report.updated or report.removed:
            self.status.last_change = time.time()
        if self.on_batch is not None:
            try:
                self.on_batch(report)
            except Exception:
                log.exception("index watcher: on_batch callback failed")

    def _next_reconcile(self) -> float | None:
        return None if self.reconcile_every is None else time.monotonic() + self.reconcile_every

    def _watch(self, folder: str) -> None:
        if self._observer is None or folder in self._watches:
            return
        try:
            self._watches[folder] = self._observer.schedule(self._handler, str(self.root / folder), recursive=True)
        except OSError as exc:  # vanished again, or out of inotify watches: the reconcile still covers it
            log.warning("cannot watch %s: %s", self.root / folder, exc)
            return
        self.status.folders = sorted(self._watches)

    def _unwatch(self, folder: str) -> None:
        watch = self._watches.pop(folder, None)
        if watch is not None and self._observer is not None:
            with contextlib.suppress(KeyError, OSError):  # the emitter already stopped with its folder
                self._observer.unschedule(watch)
        self.status.folders = sorted(self._watches)


class _Handler(FileSystemEventHandler):
    def __init__(self, watcher: IndexWatcher) -> None:
        super().__init__()
        self._watcher = watcher

    def on_any_event(self, event: FileSystemEvent) -> None:
        self._watcher._event(event)


def _text(path: str | bytes) -> str:
    return os.fsdecode(path)

