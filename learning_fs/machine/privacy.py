"""The fence behind the stores: a user's private records never reach anyone else.

Stores filter by user themselves; the machine runs everything they return through
:func:`scrub_private` as well, so a bug in one store (or a file moved by hand into the wrong
folder) cannot show one user's private memory to another. It recognises records (``namespace:
user`` with an owner) and anything with a repository ``path`` (search hits) under ``users/``.
"""

from __future__ import annotations

import logging
from typing import Any

from pydantic import BaseModel

from learning_fs.format.layout import is_private_path, user_folder
from learning_fs.format.records import USER_NAMESPACE, Record

log = logging.getLogger(__name__)


def scrub_private(data: Any, user_id: str | None, store: str = "?") -> Any:
    """``data`` without records (or search hits) private to anyone but ``user_id``.

    Stores already filter by user; this is the fence behind them, so a bug in one store (or a
    hand-moved file) cannot show one user's private memory to another. Containers (lists,
    tuples, dicts) are copied without the offending entries; a private record of another user
    at the top becomes ``None``. Costs a few microseconds on a typical recall.
    """
    if _private_to_other(data, user_id):
        log.error("%s: returned a record private to another user; dropped", store)
        return None
    return _scrub(data, user_id, store)


def _scrub(data: Any, user_id: str | None, store: str) -> Any:
    kind = _kind(type(data))
    if kind != _CONTAINER:
        return data
    if isinstance(data, dict):
        return {key: _scrub(value, user_id, store) for key, value in data.items()
                if not _dropped(value, user_id, store)}
    kept = [_scrub(item, user_id, store) for item in data if not _dropped(item, user_id, store)]
    return kept if isinstance(data, list) else tuple(kept)


def _dropped(item: Any, user_id: str | None, store: str) -> bool:
    if _private_to_other(item, user_id):
        log.error("%s: returned a record private to another user; dropped", store)
        return True
    return False


def _private_to_other(item: Any, user_id: str | None) -> bool:
    kind = _kind(type(item))
    if kind == _RECORD:
        if item.namespace == USER_NAMESPACE and item.user != user_id:
            return True
    elif kind != _MAY_HAVE_PATH:
        return False
    path = getattr(item, "path", None)
    if isinstance(path, str) and is_private_path(path):
        return not user_id or not path.startswith(user_folder(user_id) + "/")
    return False


_PLAIN, _RECORD, _MAY_HAVE_PATH, _CONTAINER = range(4)


_KINDS: dict[type[Any], int] = {}


def _kind(cls: type[Any]) -> int:
    """What checking a value of this type takes (cached per type: recall returns few types).

    A plain dict, not ``functools.lru_cache``: mypy rejects every ``type`` as an lru_cache key.
    """
    kind = _KINDS.get(cls)
    if kind is None:
        if len(_KINDS) >= 512:
            _KINDS.clear()
        kind = _KINDS[cls] = _classify(cls)
    return kind


def _classify(cls: type[Any]) -> int:
    if issubclass(cls, Record):
        return _RECORD
    if cls in (list, tuple, dict):
        return _CONTAINER
    if issubclass(cls, (str, bytes, int, float, bool, type(None))):
        return _PLAIN
    if issubclass(cls, tuple) and hasattr(cls, "_fields"):  # a named tuple: may carry a path field
        return _MAY_HAVE_PATH if "path" in cls._fields else _PLAIN
    if issubclass(cls, (list, tuple, dict)):
        return _CONTAINER
    if issubclass(cls, BaseModel):  # pydantic raises (slowly) for unknown attributes: decide by class
        return _MAY_HAVE_PATH if "path" in cls.model_fields or hasattr(cls, "path") else _PLAIN
    return _MAY_HAVE_PATH
