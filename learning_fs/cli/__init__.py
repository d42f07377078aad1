"""The ``learning-fs`` command line: a root group that finds its commands by itself.

Every module in this package that defines ``register(cli: click.Group) -> None`` adds its command
group when the CLI starts (in name order), so a new feature adds a module here and edits nothing
else. A module that fails to import is reported on stderr and the other commands keep working.
Command modules import the library inside their command bodies, so ``learning-fs --help`` does
not pay for git, YAML or pydantic.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
from pathlib import Path
from typing import Any

import click

from learning_fs.cli._shared import DEFAULT_REPO, REPO_ENV, EchoHandler, State

__all__ = ["cli", "main"]


class LearningFSGroup(click.Group):
    """Turns library errors into ``Error: …`` on stderr with exit status 1 (never a traceback)."""

    def invoke(self, ctx: click.Context) -> Any:
        from learning_fs.errors import LearningFSError

        try:
            return super().invoke(ctx)
        except LearningFSError as exc:
            raise click.ClickException(str(exc)) from exc


@click.group(cls=LearningFSGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--repo", "repo_path", type=click.Path(file_okay=False, path_type=Path), default=DEFAULT_REPO,
              envvar=REPO_ENV, show_default=True, show_envvar=True, metavar="PATH",
              help="The memory repository to use.")
@click.option("-v", "--verbose", count=True, help="Log more (-v: info, -vv: debug) on stderr.")
@click.version_option(package_name="learning-fs", prog_name="learning-fs")
@click.pass_context
def cli(ctx: click.Context, repo_path: Path, verbose: int) -> None:
    """learning_fs: what an agent learns, kept as Markdown files in a Git repository.

    Every change is one commit with trailers saying who made it; `git log`, `git blame` and
    `git revert` work as usual. Start with `learning-fs demo`, or:

    \b
      learning-fs --repo ./memory_repo init
      learning-fs add learning --title "Prefer uv" "Use uv to install Python packages in CI."
      learning-fs ls
      learning-fs log
    """
    _log_to_stderr(ctx, logging.WARNING - 10 * min(verbose, 2))
    ctx.obj = State(repo_path=repo_path, verbose=verbose)


def _log_to_stderr(ctx: click.Context, level: int) -> None:
    """Show the library's log records on stderr for this command only (embedders keep their setup)."""
    logger = logging.getLogger("learning_fs")
    handler, previous = EchoHandler(), logger.level
    logger.addHandler(handler)
    logger.setLevel(level)

    def restore() -> None:
        logger.removeHandler(handler)
        logger.setLevel(previous)

    ctx.call_on_close(restore)


def _register_all(group: click.Group) -> None:
    """Import every module of this package and let those with ``register`` add their commands.

    Modules whose name starts with ``_`` are shared helpers, not command groups.
    """
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda module: module.name):
        if info.name.startswith("_"):
            continue
        try:
            module = importlib.import_module(f"{__name__}.{info.name}")
            register = getattr(module, "register", None)
            if callable(register):
                register(group)
        except Exception as exc:  # one broken command module must not take the whole CLI down
            click.echo(f"warning: learning-fs: commands from {info.name!r} are unavailable: "
                       f"{type(exc).__name__}: {exc}", err=True)


_register_all(cli)


def main() -> None:
    """Console-script entry point (``learning-fs``)."""
    cli(prog_name="learning-fs")
