"""``learning-fs merge-file`` (git's merge driver for record files) and ``learning-fs install-hooks``."""

from __future__ import annotations

from pathlib import Path

import click

from learning_fs.cli._shared import State, pass_state

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.command("merge-file")
@click.argument("base", type=_FILE)
@click.argument("ours", type=_FILE)
@click.argument("theirs", type=_FILE)
@click.argument("path", required=False, default="")
def merge_file(base: Path, ours: Path, theirs: Path, path: str) -> None:
    """Merge three versions of a file into OURS, as git's merge driver (`%O %A %B %P`).

    Record files (PATH under users/, entities/, learnings/, decisions/, sessions/) merge as
    records: list items by id, frontmatter per key, free text line by line, so concurrent
    additions never conflict. Exits 0 when merged, 1 on a true conflict; the file is valid
    either way (a `## Merge conflict` section that `learning-fs validate` reports). Other files
    merge line by line with git's conflict markers. `learning-fs init` and `learning-fs
    install-hooks` register it with git; you rarely run it yourself.

    \b
    Examples:
      learning-fs merge-file base.md ours.md theirs.md users/3e/alice/memories.md
      git config merge.learning-fs.driver "learning-fs merge-file %O %A %B %P"
    """
    from learning_fs.format.merge import merge_files as merge

    result = merge(base, ours, theirs, path or ours.name)
    for conflict in result.conflicts:
        click.echo(str(conflict), err=True)
    if not result.clean:
        click.get_current_context().exit(1)


@click.command("install-hooks")
@pass_state
def install_hooks(state: State) -> None:
    """Set up this clone: the pre-commit hook and git's record merge driver (.git/config).

    git never takes commands from a repository's content, so every clone defines the merge
    driver itself: run this once after `git clone`. If the repository's committed
    .gitattributes does not route record files to the driver yet, the lines go into
    .git/info/attributes for this clone (`learning-fs init` commits them for everyone).

    \b
    Examples:
      git clone git@example.org:team/memory.git && cd memory && learning-fs --repo . install-hooks
    """
    from learning_fs.repo.mergedriver import driver_command, install

    repo = state.open_repo()  # opening a repository installs the pre-commit hook
    try:
        done = install(repo, commit=False)
    finally:
        repo.close()
    for line in done:
        click.echo(line)
    if not done:
        click.echo(f"{repo.root}: hooks and merge driver already installed ({driver_command()})")


def register(cli: click.Group) -> None:
    cli.add_command(merge_file)
    cli.add_command(install_hooks)
