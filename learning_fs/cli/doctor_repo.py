"""``learning-fs doctor repo``: the repository's health (settings, hooks, merge driver, symlinks, locks, index).

A subcommand of the ``doctor`` group (``doctor model`` probes a model endpoint); this module
adds itself to that group, or makes it when it is not there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from learning_fs.cli._shared import State, echo_json, json_option, pass_state

if TYPE_CHECKING:
    from learning_fs.ops.doctor import Check
    from learning_fs.repo import MemoryRepo


@click.command("repo")
@click.option("--repair", is_flag=True, help="Fix what is safe: hooks, merge driver, stale git locks, index drift.")
@click.option("--no-index", is_flag=True, help="Skip the search index check (it reads every record file).")
@json_option
@pass_state
def repo_check(state: State, repair: bool, no_index: bool, as_json: bool) -> None:
    """Check a memory repository's health and, with --repair, fix what is safe to fix.

    Checks that learning_fs.yaml loads, that learning_fs's pre-commit hook and merge driver are
    installed, that no symlink sits in the repository, that no git lock file was left by a killed
    process, that .git/index is in step, and that the search index opens (a corrupt one is moved
    aside and rebuilt) and matches the files. Never deletes a symlink or edits a record. Exit 1
    while a problem remains.

    \b
    Examples:
      learning-fs doctor repo
      learning-fs --repo ./memory_repo doctor repo --repair
      learning-fs doctor repo --json --no-index
    """
    from learning_fs.ops.doctor import check_config, diagnose

    config = check_config(state.repo_path)
    if not config.ok:
        checks = [config]
    else:
        repo = state.open_repo()
        checks = diagnose(repo, repair=repair)
        if not no_index:
            checks.append(_index_check(repo, repair))
    failed = [check for check in checks if not check.ok]
    if as_json:
        echo_json({"ok": not failed, "checks": [check.to_dict() for check in checks]})
    else:
        for check in checks:
            mark = "fixed" if check.repaired else ("ok" if check.ok else "PROBLEM")
            click.echo(f"{mark:<8} {check.name:<16} {check.detail}")
    if failed:
        raise SystemExit(1)


def _index_check(repo: MemoryRepo, repair: bool) -> Check:
    """Open the index (which heals a corrupt one), compare it with the files, repair drift."""
    from learning_fs.errors import LearningFSError
    from learning_fs.index.service import RepoIndex
    from learning_fs.ops.doctor import Check as check_type

    try:
        with RepoIndex.open(repo, write_through="off") as index:
            if index.read_only:
                return check_type("search index", True, "another process keeps it current (not checked)")
            report = index.verify()
            if report.ok:
                return check_type("search index", True, f"{index.count()} entries match the files")
            if repair:
                index.repair(report)
                return check_type("search index", True, "re-indexed the files that drifted", repaired=True)
            drift = len(report.stale) + len(report.missing) + len(report.orphaned)
            return check_type("search index", False, f"{drift} entries differ from the files; run with --repair")
    except LearningFSError as exc:
        return check_type("search index", False, f"{exc}")


def register(cli: click.Group) -> None:
    group = cli.commands.get("doctor")
    if not isinstance(group, click.Group):
        group = click.Group("doctor", help="Check that what learning_fs depends on works.\n\n\b\nExamples:\n"
                            "  learning-fs doctor repo\n  learning-fs doctor repo --repair")
        cli.add_command(group)
    group.add_command(repo_check)
