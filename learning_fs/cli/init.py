"""``learning-fs init``: create a memory repository (or finish setting up an existing git repository)."""

from __future__ import annotations

from pathlib import Path

import click

from learning_fs.cli._shared import CONFIG_FILE, State, pass_state


@click.command("init")
@click.argument("path", required=False, type=click.Path(file_okay=False, path_type=Path))
@pass_state
def init(state: State, path: Path | None) -> None:
    """Create a memory repository at PATH (default: the --repo path).

    Makes a git repository with learning_fs.yaml (settings shared through git) and a .gitignore
    for derived data. Safe to run again: an existing repository is left as it is.

    \b
    Examples:
      learning-fs init                      # ./memory_repo
      learning-fs --repo ~/agent-memory init
      learning-fs init /srv/memory
    """
    from learning_fs.repo import MemoryRepo

    target = path or state.repo_path
    existed = (target / CONFIG_FILE).is_file()
    repo = MemoryRepo.init(target)
    repo.close()
    if existed:
        click.echo(f"{repo.root} is already a memory repository (nothing changed)")
    else:
        click.echo(f"Initialised memory repository in {repo.root} (branch {repo.branch})")


def register(cli: click.Group) -> None:
    cli.add_command(init)
