"""``learning-fs feedback``: rate a run, list the signals the agent received."""

from __future__ import annotations

import click

from learning_fs.cli._shared import State, console, echo_json, json_option, pass_state


@click.group("feedback")
def feedback() -> None:
    """Feedback on the agent's runs: ratings, corrections, re-asks, tool errors, decision outcomes.

    Each signal is a file under feedback/<namespace>/ that keeps the ids of what was in the
    run's context, so `learning-fs improve` and `learning-fs curate` can credit and blame it.

    \b
    Examples:
      learning-fs feedback add run-0a1b2c3d4e --score -1 --comment "No, I said metric units"
      learning-fs feedback list --signal correction
    """


@feedback.command("add")
@click.argument("run_id")
@click.option("--score", type=click.FloatRange(-1.0, 1.0), required=True, help="From -1 (bad) to 1 (good).")
@click.option("--comment", default="", help="What was wrong or right, in the user's words.")
@click.option("--user", metavar="ID", help="Who gives the rating (Learning-User).")
@click.option("--session", metavar="ID", help="The run's session.")
@click.option("--agent", metavar="ID", help="The agent that made the run (whose instructions it is about).")
@click.option("--namespace", default="global", show_default=True, help="Shared namespace of the feedback.")
@json_option
@pass_state
def add(state: State, run_id: str, score: float, comment: str, user: str | None, session: str | None,
        agent: str | None, namespace: str, as_json: bool) -> None:
    """Rate the run RUN_ID (the agent's `response.run_id`); one commit.

    The run's context (which memories, learnings and rules it held) is looked up in the
    machine's run journal (.learning_fs/feedback/runs.jsonl) when the run was made here.

    \b
    Example:
      learning-fs feedback add run-0a1b2c3d4e --score 1 --comment "Exactly what I needed"
    """
    from learning_fs.machine.writer import RecordWriter
    from learning_fs.stores.feedback import BehavioralFeedbackConfig, FeedbackStore

    repo = state.open_repo()
    store = FeedbackStore(BehavioralFeedbackConfig(namespace=namespace), repo)
    writer = RecordWriter(repo, store="feedback", mode="always", user_id=user, session_id=session, agent_id=agent,
                          quote=comment or None)
    record = store.rate(run_id, score, comment, writer=writer, user_id=user, session_id=session, agent_id=agent)
    if as_json:
        echo_json({"id": record.id, "path": record.path, "run_id": run_id, "score": record.score,
                   "in_context": record.in_context})
        return
    known = f"{len(record.in_context)} id(s) of its context" if record.in_context else "its context is unknown here"
    click.echo(f"recorded {record.id} ({record.score:+g}) on {run_id}: {known}")


@feedback.command("list")
@click.option("--signal", metavar="KIND",
              help="Only this kind: rating, correction, reask, praise, tool_error, outcome.")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True, help="The most recent N.")
@json_option
@pass_state
def list_feedback(state: State, signal: str | None, limit: int, as_json: bool) -> None:
    """The most recent feedback signals, newest first.

    \b
    Example:
      learning-fs feedback list --signal correction --limit 5
    """
    from learning_fs.curate.credit import load_feedback

    repo = state.open_repo()
    records = [r for r in load_feedback(repo) if signal is None or r.signal == signal][::-1][:limit]
    if as_json:
        echo_json([{"id": r.id, "signal": r.signal, "score": r.score, "about": r.about, "run_id": r.run_id,
                    "session_id": r.session_id, "user": r.source.user, "created": r.created,
                    "in_context": r.in_context, "comment": r.comment, "path": r.path} for r in records])
        return
    out = console()
    for r in records:
        words = " ".join((r.comment or r.about or "").split())
        out.print(f"{r.created}  {r.id}  {r.signal:<10} {r.score:+.1f}  {r.session_id or '-'}  {words[:80]}",
                  markup=False, highlight=False)
    if not records:
        click.echo("no feedback yet")


def register(cli: click.Group) -> None:
    cli.add_command(feedback)
