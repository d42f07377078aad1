"""``learning-fs improve``: find patterns in the feedback and propose instruction and learning changes."""

from __future__ import annotations

import click

from learning_fs.cli._shared import State, echo_json, json_option, pass_state


@click.command("improve")
@click.option("--propose/--dry-run", "propose", default=False,
              help="Commit each finding on its own proposals/… branch (default: only print what it would propose).")
@click.option("--agent", metavar="ID", help="Whose instructions (agents/<agent>/instructions.md) [default].")
@click.option("--namespace", metavar="NS", help="Only the feedback of this namespace (default: all).")
@click.option("--min-corrections", type=click.IntRange(min=1), default=3, show_default=True,
              help="Corrections of the same kind before a rule is proposed.")
@click.option("--min-users", type=click.IntRange(min=1), default=1, show_default=True,
              help="Distinct users among those corrections.")
@click.option("--min-failures", type=click.IntRange(min=1), default=3, show_default=True,
              help="Failed runs a learning is part of before it is proposed for demotion.")
@click.option("--model", "model_id", metavar="ID", envvar="LEARNING_FS_MODEL", show_envvar=True,
              help="A chat model that words the proposed rules (default: none; the rule layer words them).")
@click.option("--base-url", metavar="URL", envvar="LEARNING_FS_BASE_URL", show_envvar=True,
              help="OpenAI-compatible endpoint of --model.")
@json_option
@pass_state
def improve(state: State, propose: bool, agent: str | None, namespace: str | None, min_corrections: int,
            min_users: int, min_failures: int, model_id: str | None, base_url: str | None, as_json: bool) -> None:
    """Analyse the feedback and propose changes: add, reword or retire an instruction, demote a learning.

    Deterministic rules count the patterns (repeated corrections of the same kind, rules not
    followed, learnings in the context of failed runs); a model, when given, only words the rule.
    Every proposal is a proposals/… branch with the evidence (signals, sessions, quotes) in its
    commit message: approve it with `learning-fs review approve ID`, reject it with a reason (it is
    then never proposed again), undo an approved one with `learning-fs revert COMMIT`.

    \b
    Examples:
      learning-fs improve
      learning-fs improve --propose
      learning-fs improve --propose --agent support-bot --min-users 2
    """
    from learning_fs.improve import Improver, SelfImprovementConfig

    repo = state.open_repo()
    config = SelfImprovementConfig(min_corrections=min_corrections, min_users=min_users, min_failures=min_failures,
                                   agent=agent)
    model = None
    if model_id:
        from learning_fs.extract import OpenAIChat

        model = OpenAIChat(model_id, base_url=base_url)
    report = Improver(repo, model=model, config=config, agent=agent, namespace=namespace).run(propose=propose)
    if as_json:
        echo_json({**report.to_dict(), "dry_run": not propose})
        return
    click.echo(report.render())
    if not propose and report.pending:
        click.echo("dry run: nothing was written (run with --propose to open the proposals)")
    for item in report.proposed:
        click.echo(f"review it: learning-fs review show {item.proposal_id}")


def register(cli: click.Group) -> None:
    cli.add_command(improve)
