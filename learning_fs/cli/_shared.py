"""What every command module shares: the repository to open, provenance options and output helpers.

Kept free of heavy imports (git, YAML, pydantic load inside functions) so ``--help`` stays fast.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from rich.console import Console

    from learning_fs.ops import Origin
    from learning_fs.repo import MemoryRepo

DEFAULT_REPO = "./memory_repo"
REPO_ENV = "LEARNING_FS_REPO"
CONFIG_FILE = "learning_fs.yaml"  # repeated from repo.config to keep this module light
F = TypeVar("F", bound=Callable[..., Any])


class EchoHandler(logging.Handler):
    """Log records as ``warning: message`` lines on the *current* stderr (CliRunner swaps it)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            prefix = record.levelname.lower()
            detail = f" [{record.name}]" if record.levelno < logging.INFO else ""
            click.echo(f"{prefix}{detail}: {record.getMessage()}", err=True)
        except Exception:
            self.handleError(record)


@dataclass
class State:
    """Options of the root command, handed to every subcommand as ``ctx.obj``."""

    repo_path: Path
    verbose: int = 0
    _repo: MemoryRepo | None = field(default=None, repr=False)

    def open_repo(self) -> MemoryRepo:
        """Open the memory repository (once per command); refuses folders that are not one.

        The check for ``learning_fs.yaml`` comes first because git would otherwise find an
        enclosing repository (a project checkout around ``./memory_repo``) and write there.
        """
        if self._repo is None:
            from learning_fs.repo import MemoryRepo

            path = self.repo_path
            if not (path / CONFIG_FILE).is_file():
                what = "a git repository but not a memory repository" if (path / ".git").exists() else \
                    "not a memory repository"
                raise click.ClickException(
                    f"{path} is {what} (no {CONFIG_FILE}). Create one with `learning-fs --repo {path} init`, "
                    f"or point --repo / {REPO_ENV} at an existing one."
                )
            repo = self._repo = MemoryRepo(path)
            landed: list[str] = []
            repo.on_commit(lambda event: landed.append(event.commit) if event.checked_out else None)
            context = click.get_current_context()
            context.call_on_close(repo.close)
            context.call_on_close(lambda: catch_up_index(repo) if landed else None)  # runs before close
        return self._repo


def catch_up_index(repo: MemoryRepo) -> None:
    """Bring the repository's search index (when it has one) up to date after a command wrote.

    In a program the index follows every library commit (write-through); a command runs in its
    own process, so when it committed (add, revert, approve, curate…) it catches the index up
    itself — one git diff, proportional to what changed — rather than leave drift for
    ``index --verify`` or the next search to find.
    """
    from learning_fs.index.search_index import CATALOG_FILE
    from learning_fs.index.service import RepoIndex, index_directory

    if not (index_directory(repo) / CATALOG_FILE).exists():
        return
    try:
        RepoIndex.open(repo, write_through="off").close()
    except Exception as exc:  # the commit landed; a stale index is repaired by `learning-fs index`
        click.echo(f"warning: the search index was not updated ({exc}); run `learning-fs index`", err=True)


pass_state = click.make_pass_decorator(State)


def provenance_options(func: F) -> F:
    """``--user``, ``--session`` and ``--agent``: recorded in the file and in the commit trailers."""
    func = click.option("--agent", metavar="NAME", help="The agent on whose behalf this is written.")(func)
    func = click.option("--session", metavar="ID", help="The session this came from.")(func)
    return click.option("--user", metavar="ID", help="The user this came from (the owner of private records).")(func)


def make_origin(user: str | None, session: str | None, agent: str | None) -> Origin:
    """The provenance of a change made from the command line: store ``cli``, mode ``manual``."""
    from learning_fs.ops import Origin

    return Origin(store="cli", mode="manual", user=user, session=session, agent=agent)


json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")


def read_text_argument(text: str) -> str:
    """``-`` reads the text from stdin (long or multi-line texts, pipes)."""
    return sys.stdin.read() if text == "-" else text


def console(stderr: bool = False) -> Console:
    """A rich console on the current stdout/stderr; wide when piped so tables do not fold."""
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    interactive = stream.isatty()
    return Console(file=stream, width=None if interactive else 160, highlight=False, soft_wrap=not interactive)


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def display_path(root: Path, relative: str) -> str:
    """A record's path as the user can open it from where they are (relative when inside cwd)."""
    full = root / relative
    try:
        shown = os.path.relpath(full)
    except ValueError:  # another drive on Windows
        return str(full)
    return str(full) if shown.startswith("..") else shown


def commit_line(info: Any) -> str:
    """``abc1234567 Subject`` for a commit, or a note that nothing changed."""
    if info is None:
        return "nothing changed (no commit)"
    return f"commit {info.short} {info.subject}"
