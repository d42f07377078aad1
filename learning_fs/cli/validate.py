"""``learning-fs validate``: check every file; ``file:line: message`` per problem, exit 1 on errors."""

from __future__ import annotations

import click

from learning_fs.cli._shared import State, display_path, echo_json, json_option, pass_state


@click.command("validate")
@click.option("--strict", is_flag=True, help="Fail on warnings too (dangling links, missing superseded_by).")
@click.option("--fix", is_flag=True,
              help="First repair what can be repaired, in one commit: ids (and kinds) for hand-written notes, "
                   "relationship links that open no file in Obsidian.")
@json_option
@pass_state
def validate(state: State, strict: bool, fix: bool, as_json: bool) -> None:
    """Check that every file parses and follows the format (docs/format.md).

    Prints one `file:line: message` per problem (warnings say so) and exits 1 when there is an
    error, 0 otherwise: fit for CI on a memory repository and for editors that jump to a line.

    \b
    Examples:
      learning-fs validate
      learning-fs --repo ./memory_repo validate --json
      learning-fs validate --fix     # give hand-written notes ids, point [[links]] at their files
    """
    from learning_fs import ops

    repo = state.open_repo()
    if fix:
        report = ops.fix_repo(repo, ops.Origin(store="cli", mode="manual"))
        for path, what in report.fixed:
            click.echo(f"fixed {display_path(repo.root, path)}: {what}", err=True)
        if report.commit:
            click.echo(f"commit {report.commit[:10]}: {len(report.fixed)} fix(es)", err=True)
    paths = repo.paths()
    problems = ops.validate_repo(repo, paths)
    errors = [p for p in problems if p.severity == "error"]
    warnings = [p for p in problems if p.severity == "warning"]
    failed = bool(errors or (strict and warnings))
    if as_json:
        echo_json({"ok": not failed, "files": len(paths), "errors": len(errors), "warnings": len(warnings),
                   "problems": [p.to_dict() for p in problems]})
    else:
        for problem in problems:
            prefix = "" if problem.severity == "error" else "warning: "
            click.echo(f"{display_path(repo.root, problem.path)}:{problem.line}: {prefix}{problem.message}")
        click.echo(f"{len(paths)} files checked: {len(errors)} errors, {len(warnings)} warnings", err=True)
    if failed:
        click.get_current_context().exit(1)


def register(cli: click.Group) -> None:
    cli.add_command(validate)
