"""``learning-fs init``: create a memory repository (or finish setting up an existing git repository)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from learning_fs.cli._shared import CONFIG_FILE, State, pass_state

if TYPE_CHECKING:
    from learning_fs.repo import MemoryRepo

WORKFLOW = ".github/workflows/memory-check.yml"
MERGE_WORKFLOW = ".github/workflows/memory-merge.yml"


@click.command("init")
@click.argument("path", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--github", is_flag=True, help=f"Also add {WORKFLOW} (`learning-fs check` on every pull request) "
              f"and {MERGE_WORKFLOW} (merges the base into a conflicting pull request with the record merge).")
@pass_state
def init(state: State, path: Path | None, github: bool) -> None:
    """Create a memory repository at PATH (default: the --repo path).

    Makes a git repository with learning_fs.yaml (settings shared through git), a .gitignore
    for derived data and a .gitattributes that has git merge record files as records (with the
    merge driver defined in .git/config; clones run `learning-fs install-hooks`). Safe to run
    again: an existing repository is only completed.

    \b
    Examples:
      learning-fs init                      # ./memory_repo
      learning-fs --repo ~/agent-memory init
      learning-fs init /srv/memory
      learning-fs init --github             # with the CI workflows for pull requests
    """
    from learning_fs.repo import MemoryRepo
    from learning_fs.repo.mergedriver import ATTRIBUTES, ATTRIBUTES_FILE, covers, install

    target = path or state.repo_path
    existed = (target / CONFIG_FILE).is_file()
    attributes = target / ATTRIBUTES_FILE
    had = attributes.is_file() and covers(attributes.read_text(encoding="utf-8", errors="replace"))
    repo = MemoryRepo.init(target, files={ATTRIBUTES_FILE: ATTRIBUTES.encode()})
    try:
        merging = install(repo)
        if existed and not had and not any(ATTRIBUTES_FILE in line for line in merging):
            merging.insert(0, f"committed {ATTRIBUTES_FILE}: record files merge with the learning-fs driver")
        added = _add_workflow(repo) if github else []
    finally:
        repo.close()
    if existed and not added and not merging:
        click.echo(f"{repo.root} is already a memory repository (nothing changed)")
    elif not existed:
        click.echo(f"Initialised memory repository in {repo.root} (branch {repo.branch})")
    if existed:
        for line in merging:
            click.echo(line)
    if WORKFLOW in added:
        click.echo(f"Added {WORKFLOW}: pull requests are checked with `learning-fs check`")
    if MERGE_WORKFLOW in added:
        click.echo(f"Added {MERGE_WORKFLOW}: a conflicting pull request gets its base merged in as records")


def _add_workflow(repo: MemoryRepo) -> list[str]:
    """Commit the shipped workflows (templates/github/) the repository does not have yet, in one commit."""
    from importlib import resources

    from learning_fs import ops

    shipped = resources.files("learning_fs.templates").joinpath("github")
    added = []
    origin = ops.Origin(store="repo", mode="")  # the repository's own setup, not a learning
    with ops.write_transaction(repo, "Add the memory check and merge workflows", origin) as tx:
        for target, name in ((WORKFLOW, "memory-check.yml"), (MERGE_WORKFLOW, "merge-records.yml")):
            if tx.read_bytes(target) is None:
                tx.write_bytes(target, shipped.joinpath(name).read_bytes())
                added.append(target)
    return added if tx.commit is not None else []


def register(cli: click.Group) -> None:
    cli.add_command(init)
