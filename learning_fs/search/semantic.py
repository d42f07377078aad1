"""``IndexSearcher``: the semantic index behind the :class:`~learning_fs.search.Searcher` protocol.

Stores call ``searcher.search(query, kind=..., namespace=..., user=..., limit=...)`` and read the
files the hits name; with this searcher the ranking is the index's hybrid one (MiniLM vectors
fused with BM25) instead of the lexical fallback's scan of the folders. It keeps the protocol's
granularity — one hit per record, one per memory — so stores work unchanged, and the privacy
rule twice: the index only reads partitions the asking user may see, and every hit is checked
again here by its path and owner.

:func:`open_searcher` picks the backend for a repository: the index when asked for or when the
repository has one; by default a repository without one gets a :class:`LazyIndexSearcher`, which
builds it at the first search, so a fresh repository searches by meaning from its first save.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Literal

from learning_fs.errors import LearningFSError
from learning_fs.format.records import USER_NAMESPACE
from learning_fs.search.protocol import Searcher, SearchHit, visible_to

if TYPE_CHECKING:
    from learning_fs.index.service import RepoIndex
    from learning_fs.index.types import Hit
    from learning_fs.repo import MemoryRepo

log = logging.getLogger(__name__)

#: The most entries one search asks the index for while filling ``limit`` distinct records.
MAX_FETCH = 400
#: Kinds whose record yields several index entries that one hit stands for (an entity: who it is,
#: plus each fact and event; see ``learning_fs.index.documents``). A memory is a hit of its own;
#: every other kind is one entry per record.
ITEMISED_KINDS = frozenset({"entity"})
SearcherChoice = Literal["auto", "index", "lexical"]


class IndexSearcher:
    """Search a :class:`~learning_fs.index.service.RepoIndex` the way stores expect.

    ``owns=True`` closes the index with the searcher (what :func:`open_searcher` hands out).
    """

    def __init__(self, index: RepoIndex, *, owns: bool = False) -> None:
        self.index = index
        self._owns = owns

    def search(self, query: str, *, kind: str | None = None, namespace: str | None = None,
               user: str | None = None, limit: int = 5, include_inactive: bool = False) -> list[SearchHit]:
        """Best matches first: one hit per record (the best of its entries), one per memory."""
        if limit <= 0 or not query.strip():
            return []
        if namespace == USER_NAMESPACE and not user:
            return []
        # An entity's entries (who it is, its facts) collapse into one hit: ask for three per hit
        # wanted. Other kinds collapse only in passing (a file being re-indexed), and the index
        # searches deeper than it returns anyway (its fusion depth): a little spare is enough.
        fetch = max(3 * limit, 10) if kind is None or kind in ITEMISED_KINDS else limit + max(limit // 4, 2)
        while True:
            hits = self.index.search(query, k=fetch, kind=kind, namespace=namespace, user=user or None,
                                     include_inactive=include_inactive)
            found = _collapse(hits, user)
            if len(found) >= limit or len(hits) < fetch or fetch >= MAX_FETCH:
                return found[:limit]
            fetch = min(3 * fetch, MAX_FETCH)

    def prefetch(self, query: str) -> None:
        """Embed ``query`` in the background: the turn's searches (one per store) then share it."""
        if query.strip():
            self.index.prefetch(query)

    def close(self) -> None:
        if self._owns:
            self.index.close()

    def __repr__(self) -> str:
        return f"IndexSearcher({self.index!r})"


def _collapse(hits: list[Hit], user: str | None) -> list[SearchHit]:
    found: list[SearchHit] = []
    seen: set[tuple[str, str]] = set()
    for hit in hits:
        if not visible_to(hit.path, user) or (hit.namespace == USER_NAMESPACE and hit.user != user):
            log.error("index returned an entry private to another user (%s); dropped", hit.path)
            continue
        key = (hit.path, hit.item_id if hit.kind == "memories" else "")
        if key in seen:
            continue
        seen.add(key)
        found.append(SearchHit(hit.path, hit.record_id, hit.item_id or None, round(hit.score, 6), hit.snippet,
                               hit.kind))
    return found


#: Environment switch for the lazily built index of ``searcher="auto"``: ``off`` keeps a repository
#: without an index on the lexical searcher (``index: {semantic: false}`` in learning_fs.yaml does too).
SEMANTIC_ENV = "LEARNING_FS_SEMANTIC"
#: A lazy build of this many files or more logs its progress (every 10%).
PROGRESS_FILES = 200


def semantic_enabled(repo: MemoryRepo) -> bool:
    """Whether ``searcher="auto"`` may build the index of a repository that has none yet."""
    if os.environ.get(SEMANTIC_ENV, "").strip().lower() in ("0", "off", "false", "no"):
        return False
    return getattr(repo.config.index, "semantic", True) is not False


class LazyIndexSearcher:
    """The semantic index of a repository that has none yet (or lost it), built at the first search.

    A fresh repository then searches by meaning from its first save, with nothing to build by
    hand; opening costs nothing until a store searches (the model and Chroma load then, ~1 s).
    The build runs on a background thread: a search waits for it up to ``wait`` seconds (a small
    repository is built by then, so its first search is semantic), and past that searches by
    words until the index is ready (a big repository, or one whose corrupt index is being rebuilt,
    never blocks a turn for minutes); the build logs its progress. If the index cannot be built
    (no disk space, a broken install), it says so once and searches by words instead.
    """

    def __init__(self, repo: MemoryRepo, *, wait: float = 10.0) -> None:
        self.repo = repo
        self.wait = wait
        self._inner: Searcher | None = None
        self._fallback: Searcher | None = None
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._builder: threading.Thread | None = None

    def search(self, query: str, *, kind: str | None = None, namespace: str | None = None,
               user: str | None = None, limit: int = 5, include_inactive: bool = False) -> list[SearchHit]:
        return self._open().search(query, kind=kind, namespace=namespace, user=user, limit=limit,
                                   include_inactive=include_inactive)

    def prefetch(self, query: str) -> None:
        """Pass a turn's message on to the index once it is built (before that: nothing to do)."""
        prefetch = getattr(self._inner, "prefetch", None)
        if callable(prefetch):
            prefetch(query)

    @property
    def opened(self) -> bool:
        """Whether the index was opened (a search happened and the build finished)."""
        return self._inner is not None

    def _open(self) -> Searcher:
        inner = self._inner
        if inner is not None:
            return inner
        with self._lock:
            if self._builder is None:
                self._builder = threading.Thread(target=self._build, name="lfs-index-build", daemon=True)
                self._builder.start()
        if self._ready.wait(self.wait) and self._inner is not None:
            return self._inner
        with self._lock:
            if self._fallback is None:
                from learning_fs.search.lexical import LexicalSearcher

                log.warning("search index of %s is still being built; searching by words until it is ready",
                            self.repo.root)
                self._fallback = LexicalSearcher(self.repo)
            return self._fallback

    def _build(self) -> None:
        from learning_fs.index.service import RepoIndex
        from learning_fs.search.lexical import LexicalSearcher

        try:
            self._inner = IndexSearcher(RepoIndex.open(self.repo, progress=_logged_progress(self.repo)), owns=True)
        except (LearningFSError, OSError, ImportError) as exc:
            log.warning("search index of %s could not be built (%s); using lexical search", self.repo.root, exc)
            self._inner = LexicalSearcher(self.repo)
        finally:
            self._ready.set()

    def close(self) -> None:
        builder = self._builder
        if builder is not None:  # a build in flight finishes first (it holds the index's writer lock)
            builder.join()
        with self._lock:
            inner, self._inner = self._inner, None
        close = getattr(inner, "close", None)
        if callable(close):
            close()

    def __repr__(self) -> str:
        return f"LazyIndexSearcher({self.repo.root}, {'open' if self._inner is not None else 'not built yet'})"


def _logged_progress(repo: MemoryRepo) -> Callable[[int, int], None]:
    """``progress(done, total)`` that logs a big first build every tenth of the way."""
    shown = [-1]

    def progress(done: int, total: int) -> None:
        if total < PROGRESS_FILES:
            return
        step = done * 10 // total
        if step != shown[0]:
            shown[0] = step
            log.warning("building the search index of %s: %d/%d files", repo.root, done, total)

    return progress


def open_searcher(repo: MemoryRepo, choice: SearcherChoice = "auto") -> Searcher:
    """The search backend for ``repo``: ``"index"``, ``"lexical"`` or ``"auto"``.

    ``"index"`` opens the semantic index (building it if needed: minutes for a large repository
    the first time) and keeps it current with the library's writes. ``"auto"`` opens the index
    when the repository has one; when it has none it returns a :class:`LazyIndexSearcher`, which
    builds it at the first search (so learned knowledge is searched by meaning from the first
    save), unless ``LEARNING_FS_SEMANTIC=off`` or ``index: {semantic: false}`` in
    ``learning_fs.yaml`` keep it lexical. It falls back to the lexical searcher (with a warning)
    when the index cannot be opened. Close what this returns when done, if it has
    ``close``.
    """
    from learning_fs.search.lexical import LexicalSearcher

    if choice not in ("auto", "index", "lexical"):
        raise ValueError(f"searcher must be 'auto', 'index', 'lexical' or a Searcher, not {choice!r}")
    if choice == "lexical":
        return LexicalSearcher(repo)
    from learning_fs.index.search_index import CATALOG_FILE
    from learning_fs.index.service import RepoIndex, index_directory

    if choice == "auto" and not (index_directory(repo) / CATALOG_FILE).exists():
        return LazyIndexSearcher(repo) if semantic_enabled(repo) else LexicalSearcher(repo)
    try:
        handle = RepoIndex.open(repo, catch_up=choice == "index")
        if choice == "auto":
            if handle.healed:  # it was corrupt and starts empty: rebuild off the turn, words meanwhile
                handle.close()
                return LazyIndexSearcher(repo)
            if not handle.read_only:
                handle.catch_up()
        return IndexSearcher(handle, owns=True)
    except (LearningFSError, OSError, ImportError) as exc:
        if choice == "index":
            raise
        log.warning("search index of %s unavailable (%s); using lexical search", repo.root, exc)
        return LexicalSearcher(repo)
