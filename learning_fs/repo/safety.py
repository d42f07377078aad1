"""Never through a symlink: every path below the repository root is checked component by component.

A memory repository is often a clone of someone else's. Git stores symbolic links, so a clone can
hold ``users/ab/carol -> /home/carol/elsewhere`` or ``.learning_fs -> /tmp``; following them would
write a user's private memories, or read derived data, outside the repository. Every path the
library reads or writes in the working tree is checked with ``lstat`` on each component below the
root (a few microseconds for the 4-5 components of a record path), and files are opened with
``O_NOFOLLOW`` so a link swapped in after the check is refused by the kernel too.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat

from learning_fs.errors import SymlinkError

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def lstat_below(root: str, rel: str) -> os.stat_result | None:
    """``lstat`` of ``root/rel`` (None when it, or a folder above it, does not exist).

    Raises :class:`SymlinkError` naming the first component of ``rel`` that is a symlink.
    """
    current = root
    parts = rel.split("/")
    st: os.stat_result | None = None
    for index, part in enumerate(parts):
        current = f"{current}{os.sep}{part}"
        try:
            st = os.lstat(current)
        except (FileNotFoundError, NotADirectoryError):
            return None
        if stat.S_ISLNK(st.st_mode):
            raise SymlinkError("/".join(parts[: index + 1]))
    return st


def check_below(root: str, rel: str) -> None:
    """Raise :class:`SymlinkError` when any existing component of ``root/rel`` is a symlink."""
    lstat_below(root, rel)


def read_nofollow(root: str, rel: str) -> bytes:
    """The bytes of ``root/rel``, refusing a symlink anywhere on the path (FileNotFoundError when absent)."""
    st = lstat_below(root, rel)
    if st is None:
        raise FileNotFoundError(errno.ENOENT, "no such file", rel)
    try:
        fd = os.open(f"{root}{os.sep}{rel}", os.O_RDONLY | _NOFOLLOW)
    except OSError as exc:
        if exc.errno == errno.ELOOP:  # swapped for a link since the lstat
            raise SymlinkError(rel) from None
        raise
    with os.fdopen(fd, "rb") as handle:
        return handle.read()


def make_dirs(root: str, rel_dir: str) -> None:
    """Create ``root/rel_dir`` folder by folder, refusing to pass through a symlink."""
    current = root
    parts = [part for part in rel_dir.split("/") if part]
    for index, part in enumerate(parts):
        current = f"{current}{os.sep}{part}"
        try:
            st = os.lstat(current)
        except FileNotFoundError:
            with contextlib.suppress(FileExistsError):  # another writer may make it meanwhile
                os.mkdir(current)
            st = os.lstat(current)
        if stat.S_ISLNK(st.st_mode):
            raise SymlinkError("/".join(parts[: index + 1]))
        if not stat.S_ISDIR(st.st_mode):
            raise NotADirectoryError(errno.ENOTDIR, "not a folder", "/".join(parts[: index + 1]))
