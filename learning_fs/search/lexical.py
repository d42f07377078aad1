"""``LexicalSearcher``: BM25 over the record files, the default until the semantic index is built.

It reads candidate records straight from the working tree (parsed once: the repository caches
by stat, and this class caches each record's tokens by the parsed object), so it is always
current and needs no index, at the price of walking the candidate folders per query. That is
fine for the hundreds-to-thousands of shared records a small repository holds; the semantic
index (same :class:`~learning_fs.search.protocol.Searcher` protocol) takes over beyond that.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

from learning_fs.errors import LearningFSError, RecordParseError
from learning_fs.format.layout import FOLDERS, SESSIONS_FOLDER, kind_from_path, namespace_segment, user_folder
from learning_fs.format.records import (
    USER_NAMESPACE,
    DecisionRecord,
    EntityRecord,
    LearningRecord,
    MemoriesRecord,
    ProfileRecord,
    Record,
    SessionRecord,
    now,
)
from learning_fs.search.protocol import SearchHit, visible_to
from learning_fs.search.scoring import bm25_scores, tokenize

if TYPE_CHECKING:
    from learning_fs.repo import MemoryRepo

log = logging.getLogger(__name__)
SNIPPET_CHARS = 200


@dataclass(frozen=True)
class _Doc:
    path: str
    record_id: str
    item_id: str | None
    kind: str
    text: str
    terms: Counter[str]
    length: int
    active: bool


class LexicalSearcher:
    """Search the repository's records by words (see :class:`~learning_fs.search.protocol.Searcher`)."""

    def __init__(self, repo: MemoryRepo) -> None:
        self.repo = repo
        self._docs: dict[str, tuple[Record, list[_Doc]]] = {}
        self._lock = threading.Lock()

    def search(self, query: str, *, kind: str | None = None, namespace: str | None = None,
               user: str | None = None, limit: int = 5, include_inactive: bool = False) -> list[SearchHit]:
        terms = tokenize(query)
        if not terms or limit <= 0:
            return []
        docs = [doc for path in self._candidates(kind, namespace, user)
                for doc in self._documents(path, namespace, user)
                if include_inactive or doc.active]
        scores = bm25_scores(terms, [doc.terms for doc in docs], [doc.length for doc in docs])
        ranked = sorted((pair for pair in zip(scores, docs, strict=True) if pair[0] > 0), key=lambda pair: -pair[0])
        return [SearchHit(doc.path, doc.record_id, doc.item_id, round(score, 4), doc.text[:SNIPPET_CHARS], doc.kind)
                for score, doc in ranked[:limit]]

    # -- candidates ---------------------------------------------------------------------------
    def _candidates(self, kind: str | None, namespace: str | None, user: str | None) -> list[str]:
        """Paths that may match, walking only folders the filters allow (never other users')."""
        kinds = [kind] if kind else ["profile", "memories", "session", *FOLDERS]
        roots: list[str] = []
        if namespace in (USER_NAMESPACE, None) and user:
            roots.append(user_folder(user))
        if namespace != USER_NAMESPACE:
            for each in kinds:
                folder = FOLDERS.get(each)
                if folder:
                    roots.append(f"{folder}/{namespace_segment(namespace)}" if namespace else folder)
                elif each == "session" and namespace is None:
                    roots.append(SESSIONS_FOLDER)
        paths = []
        for root in roots:
            for path in self._walk(root):
                if (kind is None or kind_from_path(path) == kind) and visible_to(path, user):
                    paths.append(path)
        return paths

    def _walk(self, root: str) -> list[str]:
        base = self.repo.root / root
        found: list[str] = []
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            rel = os.path.relpath(dirpath, self.repo.root).replace(os.sep, "/")
            found.extend(f"{rel}/{name}" for name in sorted(filenames)
                         if name.endswith(".md") and not name.startswith("."))
        return found

    # -- documents ----------------------------------------------------------------------------
    def _documents(self, path: str, namespace: str | None, user: str | None) -> list[_Doc]:
        try:
            record = self.repo.read(path, copy=False)
        except RecordParseError as exc:
            log.warning("search skips %s", exc)
            return []
        except LearningFSError:
            return []
        if record.namespace == USER_NAMESPACE and record.user != user:
            return []  # a private record in a shared folder (hand edit): the privacy rule still holds
        if namespace is not None and record.namespace != namespace:
            return []
        cached = self._docs.get(path)
        if cached is not None and cached[0] is record:
            return cached[1]
        docs = _record_documents(path, record)
        with self._lock:
            self._docs[path] = (record, docs)
        return docs


def _doc(path: str, record: Record, item_id: str | None, text: str, active: bool) -> _Doc:
    terms = tokenize(text)
    return _Doc(path, record.id, item_id, record.kind, " ".join(text.split()), Counter(terms), len(terms), active)


def _live(record: Record) -> bool:
    return record.status == "active" and not (record.expires and str(record.expires) <= now())


def _record_documents(path: str, record: Record) -> list[_Doc]:
    """What a record contributes to search: itself, or (memories) each observation."""
    live = _live(record)
    if isinstance(record, MemoriesRecord):
        return [_doc(path, record, item.id, item.text, live and item.active and not _expired(item.expires))
                for item in record.memories]
    if isinstance(record, LearningRecord):
        text = f"{record.title}. {record.learning} {record.context} {' '.join(record.tags)}"
    elif isinstance(record, DecisionRecord):
        alternatives = " ".join(item.text for item in record.alternatives)
        text = f"{record.title_text()}. {record.decision} {record.reasoning} {alternatives} {record.outcome}"
    elif isinstance(record, EntityRecord):
        facts = " ".join(item.text for item in record.facts if item.active)
        links = " ".join(f"{item.relation} {item.target}" for item in record.relationships if item.active)
        events = " ".join(item.text for item in record.events if item.active)
        names = " ".join([record.name, *record.aliases])
        text = f"{names} {record.entity_type}. {record.description} {facts} {links} {events}"
    elif isinstance(record, SessionRecord):
        text = f"{record.summary} {record.goal}"
    elif isinstance(record, ProfileRecord):
        text = " ".join(f"{key}: {value}" for key, value in record.fields.items() if value)
    else:
        text = record.title_text()
    return [_doc(path, record, None, text, live)]


def _expired(expires: str | None) -> bool:
    return bool(expires) and str(expires) <= now()
