"""``learning-fs demo``: the guided, offline tour (the steps live in :mod:`learning_fs.demo`)."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("demo")
@click.option("--dir", "directory", type=click.Path(file_okay=False, path_type=Path),
              help="Build the demo repository here (must be empty or absent) instead of a temp folder.")
@click.option("--keep", is_flag=True, help="Keep the temporary repository to explore it afterwards.")
def demo(directory: Path | None, keep: bool) -> None:
    """Show learning_fs working end to end, offline (no network, no API key).

    Creates a memory repository, writes a user profile, memories, a session, an entity with facts,
    events and relationships, learnings and a decision, prints the files and the git log, then
    shows a hand edit surviving a rewrite, an as-of read and a revert.

    \b
    Examples:
      learning-fs demo
      learning-fs demo --dir ./demo-memory      # kept; open it in Obsidian or run git log there
    """
    from learning_fs.demo import run_demo

    run_demo(directory=directory, keep=keep)


def register(cli: click.Group) -> None:
    cli.add_command(demo)
