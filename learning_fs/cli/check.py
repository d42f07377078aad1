"""``learning-fs check``: the CI gate of a memory repository (exit 1 on errors)."""

from __future__ import annotations

import click

from learning_fs.cli._shared import State, pass_state


@click.command("check")
@click.argument("paths", nargs=-1, metavar="[PATH]...")
@click.option("--base", metavar="REF", help="Check only files changed since REF (a branch, tag or sha), "
              "comparing them with every existing record.")
@click.option("--format", "output", type=click.Choice(["text", "github", "json"]), default="text", show_default=True,
              help="github: workflow annotations on the pull request's lines.")
@click.option("--strict", is_flag=True, help="Fail on warnings too (possible duplicates).")
@click.option("--no-cache", is_flag=True, help="Do not read or write the cache under .learning_fs/check/.")
@pass_state
def check(state: State, paths: tuple[str, ...], base: str | None, output: str, strict: bool, no_cache: bool) -> None:
    """Check memory files: schema, namespaces, duplicates, secrets and personal data.

    Every file must parse and follow docs/format.md; private records stay under users/ and
    shared ones outside; new learnings, memories and facts are compared with existing ones
    (exact after normalising, and by embedding similarity with the thresholds in
    learning_fs.yaml: review.check.duplicates); API keys, tokens and private keys fail, and so do
    e-mail addresses and phone numbers in shared namespaces. Prints `file:line: message` per
    finding and exits 1 when there is an error. PATHs limit the check to those files
    (pre-commit passes the staged ones).

    \b
    Examples:
      learning-fs check
      learning-fs check --base origin/main --format github     # in a pull request's CI job
      learning-fs --repo ./memory_repo check --format json
    """
    from learning_fs.review import check as run_check
    from learning_fs.review.formats import FORMATTERS

    repo = state.open_repo()
    report = run_check(repo, base=base, paths=list(paths) or None, cache=not no_cache)
    text = FORMATTERS[output](report)
    if output == "text":
        *lines, summary = text.split("\n")
        if lines:
            click.echo("\n".join(lines))
        click.echo(summary, err=True)
    else:
        click.echo(text)
    if not report.ok or (strict and report.warnings):
        click.get_current_context().exit(1)


def register(cli: click.Group) -> None:
    cli.add_command(check)
