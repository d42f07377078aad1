"""``learning-fs example``: build the example memory repository with six weeks of history."""

from __future__ import annotations

from pathlib import Path

import click

from learning_fs.cli._shared import echo_json, json_option


@click.command("example")
@click.argument("path", type=click.Path(file_okay=False, path_type=Path))
@click.option("--seed", type=int, default=None, help="Seed of the story's ids and times (default: the published one).")
@click.option("--force", is_flag=True, help="Rebuild when PATH already holds a git repository (its history is lost).")
@json_option
def example(path: Path, seed: int | None, force: bool, as_json: bool) -> None:
    """Build an example memory repository with history, for the notebooks and `learning-fs stats`.

    Four people talk to an agent over six simulated weeks: profiles, memories, sessions, entities,
    decisions and learnings; proposals approved and rejected; a person's hand edits; a curation
    pass. Every commit is dated in the story and the build is deterministic: the same seed gives
    the same commit shas. Other files already in PATH are left alone; files of an earlier example
    without its .git (a checkout of memory_repo/) are rebuilt.

    \b
    Examples:
      learning-fs example ./memory_repo
      learning-fs --repo ./memory_repo stats
      learning-fs example ./memory_repo --force     # rebuild over an existing history
      learning-fs example /tmp/example --json
    """
    from learning_fs.example import DEFAULT_SEED, build_example

    result = build_example(path, seed=DEFAULT_SEED if seed is None else seed, force=force)
    if as_json:
        echo_json({"path": str(result.path), "head": result.head, "commits": result.commits,
                   "files": result.files, "proposals": result.proposals})
        return
    click.echo(f"Built the example memory repository in {result.path}: {result.commits} commits, "
               f"{result.files} record files, proposals {result.proposals['approved']} approved / "
               f"{result.proposals['rejected']} rejected / {result.proposals['open']} open; head {result.head[:10]}.")
    click.echo(f"Try: learning-fs --repo {result.path} stats   (or open notebooks/growth.ipynb)")


def register(cli: click.Group) -> None:
    cli.add_command(example)
