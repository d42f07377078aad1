"""Demo step: review — the agent proposes, a person approves one proposal and rejects another, CI checks.

A learning shapes every later answer for every user, so a team reviews it like code. The agent
runs its learned-knowledge store in PROPOSE mode: each save becomes a ``proposals/…`` branch
carrying the evidence, and main is untouched until someone approves. The commands shown are
the real CLI, run in-process against the demo repository.
"""

from __future__ import annotations

from click.testing import CliRunner

from learning_fs.demo.runner import DemoContext
from learning_fs.format import LearningRecord, record_path
from learning_fs.machine import LearningMachine, LearningMode
from learning_fs.review import rejected_examples
from learning_fs.stores import LearnedKnowledgeConfig

ORDER = 50
USER, SESSION = "alice", "s-005"
SAID = ("The nightly export failed again because the warehouse load finished late: at Acme it sometimes finishes "
        "after 02:00, and the export then ships partial data. Start the export only when the load reports success "
        "(a sensor on its done-marker), not at a fixed time. Also, I think everyone prefers very long, detailed "
        "answers.")
GOOD = {"title": "Gate the nightly export on the warehouse load",
        "learning": "Start the nightly export only after the warehouse load reports success (a sensor on its "
                    "done-marker), not at a fixed time: late loads made the export ship partial data.",
        "context": "Acme's warehouse load sometimes finishes after 02:00.", "tags": ["airflow", "exports"]}
DOUBTFUL = {"title": "Users prefer long answers",
            "learning": "Always answer with long, detailed explanations; users prefer them."}
PLANTED = (record_path(LearningRecord(title="Export after the load")), """---
id: lrn-demo0dup01
kind: learning
title: Export after the load
namespace: global
status: active
created: '2026-01-01T00:00:00Z'
updated: '2026-01-01T00:00:00Z'
---

# Export after the load

Start the nightly export only once the warehouse load has succeeded (use a sensor on its done-marker) instead of
a fixed time: late loads made the export ship partial data.
""")


def _cli(ctx: DemoContext, *args: str) -> tuple[int, str]:
    """Run ``learning-fs --repo <demo> ARGS`` in-process and show it as a person would see it."""
    from learning_fs.cli import cli

    result = CliRunner().invoke(cli, ["--repo", str(ctx.repo.root), *args], prog_name="learning-fs")
    shown = " ".join(f'"{a}"' if " " in a else a for a in args)
    ctx.show_command(f"learning-fs {shown}", result.output)
    return result.exit_code, result.stdout


def run(ctx: DemoContext) -> None:
    ctx.chapter("Review, 1: the agent proposes", "The learned-knowledge store runs in PROPOSE mode. Alice says two "
                "things; the agent saves both as lessons, and each save becomes a branch, not a memory.")
    ctx.say(f"Alice ({SESSION}): {SAID}")
    config = LearnedKnowledgeConfig(mode=LearningMode.PROPOSE, enable_agent_tools=True)
    with LearningMachine(ctx.repo, agent_id="demo-agent", learned_knowledge=config, searcher="lexical") as machine:
        tools = {tool.__name__: tool for tool in machine.get_tools(USER, SESSION, SAID)}
        for arguments in (GOOD, DOUBTFUL):
            ctx.say(f"\nsave_learning({arguments['title']!r}, ...) -> {tools['save_learning'](**arguments)}")
    _, listing = _cli(ctx, "proposals")
    good_id, doubtful_id = (line.split()[0] for line in listing.splitlines()[1:3])
    if "export" not in good_id:
        good_id, doubtful_id = doubtful_id, good_id

    ctx.chapter("Review, 2: what a reviewer sees", "`proposals show` prints the evidence the commit carries (who "
                "said what, in which session, in which mode) — the same block a paused HITL call shows — and "
                "the diff against main.")
    _cli(ctx, "proposals", "show", good_id)

    ctx.chapter("Review, 3: approve one, reject one", "Approving merges the branch into main (a fast-forward "
                "here); the checkout and the search index follow. Rejecting deletes the branch and commits the "
                "reason under reviews/rejected/, which the extractor is shown from now on.")
    _cli(ctx, "approve", good_id)
    _cli(ctx, "reject", doubtful_id, "--reason", "One user's taste, not a rule for everyone")
    ctx.say("The extraction prompt of the learned-knowledge store now lists:\n  - "
            + "\n  - ".join(rejected_examples(ctx.repo)))

    ctx.chapter("Review, 4: CI catches a duplicate", "Dana adds a learning by hand that says what was just approved "
                "in other words, and commits it. `learning-fs check --base HEAD~1` (what the shipped GitHub "
                "Action runs on a pull request) compares it with everything remembered and fails.")
    path, text = PLANTED
    file = ctx.repo.root / path
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text(text, encoding="utf-8")
    ctx.repo.flush()
    ctx.git("add", path)
    ctx.git("commit", "-q", "-m", "Add a learning about the export", person=True)
    code, _ = _cli(ctx, "check", "--base", "HEAD~1")
    ctx.say(f"(exit status {code}: the pull request would be blocked until the duplicate is resolved)")
    ctx.git("rm", "-q", path)
    ctx.git("commit", "-q", "-m", "Drop the duplicate learning; the approved one says it", person=True)
    ctx.say("Dana drops her copy; `learning-fs check` passes again.")
