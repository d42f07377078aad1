"""Demo step: a curation pass over planted duplicates, a contradiction and an expired memory.

Agents repeat themselves: over a month the same preference is saved twice in different words, a
learning is saved again under a slightly different title, a fact changes, a temporary note
outlives its use. The curator cleans that up in ONE commit a person can read (and revert), after
a dry run that shows the plan and the diff without writing anything.
"""

from __future__ import annotations

from learning_fs import ops
from learning_fs.curate import Curator
from learning_fs.demo.runner import DemoContext
from learning_fs.index.service import RepoIndex
from learning_fs.machine import LearningMachine

ORDER = 60
USER = "alice"


def _plant(ctx: DemoContext) -> None:
    """What a month of turns left behind: repeats, a changed fact, a note with an end date."""
    repo = ctx.repo
    origin = ctx.origin("user_memory", day=12)
    with ops.write_transaction(repo, "Remember 2 things about alice", origin) as tx:
        ops.add_memory(tx, USER, "prefers short answers, with a code sample first", origin)
        ops.add_memory(tx, USER, "Office: Berlin", origin)
    origin = ctx.origin("user_memory", day=26)
    with ops.write_transaction(repo, "Remember 2 things about alice", origin) as tx:
        ops.add_memory(tx, USER, "Office: Lisbon (moved in the spring)", origin)
        memories, note = ops.add_memory(tx, USER, "Is on call for the billing pipeline this week.", origin)
        note.expires = ctx.day(29).date().isoformat()  # a note with an end date (past by today)
        ops.save(tx, memories, origin)
    origin = ctx.origin("learning", day=27, session="s-004")
    with ops.write_transaction(repo, "Add learning: Airflow retries need idempotent tasks!", origin) as tx:
        ops.add_learning(tx, "Airflow retries need idempotent tasks!",
                         "Give every Airflow task a retry policy only after making it idempotent: a retried "
                         "export that appends instead of overwriting doubles the invoices.", origin,
                         tags=["airflow", "retries"])
    ctx.notes["curate_memories"] = memories.path


def run(ctx: DemoContext) -> None:
    repo = ctx.repo
    ctx.chapter("The curator, 1: what a month of learning leaves behind",
                "Alice's memories now say the same preference twice (in other words), name two offices, and "
                "keep an on-call note past its end date; a learning was saved a second time under a title "
                "that differs by a '!'.")
    _plant(ctx)
    ctx.show_file(ctx.notes["curate_memories"])

    ctx.chapter("The curator, 2: a dry run", "`learning-fs curate --dry-run` prints the plan — every action and "
                "why — and the diff it would commit, and writes nothing.")
    curator = Curator(repo)
    plan = curator.plan(dry_run=True)
    ctx.show_command("learning-fs curate --dry-run", plan.render() + "\n\n" + plan.diff())

    ctx.chapter("The curator, 3: one commit", "`learning-fs curate` commits the same plan as ONE commit whose "
                "message lists each change; the index follows the commit, and `learning-fs revert <commit>` "
                "would undo the whole run. (--propose would put it on a proposals/curate/… branch instead.)")
    with RepoIndex.open(repo, write_through="sync") as index:
        result = curator.apply(plan)
        drift = index.verify()
    if result.commit is None:
        ctx.say("Nothing to curate.")
        return
    ctx.show_command("git show --stat --format=%B HEAD", ctx.git("show", "--stat", "--format=%B", "HEAD"))
    ctx.say(f"index --verify: {'no drift' if drift.ok else 'drift: ' + str(drift)}")
    with LearningMachine(repo, user_profile=False, user_memory=True) as machine:
        context = machine.build_context(USER, message="Where is Alice's office?")
    ctx.show_command("machine.build_context('alice', message=\"Where is Alice's office?\")", context)
    ctx.say("The superseded office and the expired note stay in the file (struck through / status=expired) and "
            "in history, but never reach the prompt.")
