"""Demo step: git as the log — trailers, a changed fact, an as-of read, a hand edit, a revert."""

from __future__ import annotations

from learning_fs import ops
from learning_fs.demo.runner import DemoContext
from learning_fs.format import EntityRecord

ORDER = 20


def _facts(record: EntityRecord) -> str:
    return "\n".join(f"  - {item.text}" + ("" if item.active else f"  ({item.status})") for item in record.facts)


def _show_last_change(ctx: DemoContext, path: str) -> None:
    ctx.show_command(f"git diff HEAD~1 HEAD -- {path}", ctx.git("diff", "--no-color", "HEAD~1", "HEAD", "--", path))


def run(ctx: DemoContext) -> None:
    repo = ctx.repo
    acme_path = ctx.notes["acme_path"]

    ctx.chapter("6. Git is the log", "Every write above was one commit. Trailers say which store, user, "
                "session and mode made it, so `git log` answers 'who taught the agent that?'.")
    ctx.show_command("git log -n 4 --format='%h %ad %s%n%(trailers:only,unfold)' --date=short",
                     ctx.git("log", "-n", "4", "--format=%h %ad %s%n%(trailers:only,unfold)", "--date=short"))

    ctx.chapter("7. A fact changes", "On day 20 Acme upgrades PostgreSQL. The old fact is superseded, not "
                "deleted: it stays in the file, struck through, pointing at the new one.")
    origin = ctx.origin("entity_memory", day=20)
    with ops.write_transaction(repo, "Update fact on Acme Corp: PostgreSQL 16", origin) as tx:
        ops.replace_fact(tx, "Acme Corp", "Runs PostgreSQL 15 for billing.",
                         "Runs PostgreSQL 16 for billing (upgraded in the autumn).", origin)
    _show_last_change(ctx, acme_path)

    ctx.chapter("8. What did the agent know on day 10?",
                "Reading the repository as of a date (or a commit) is a git lookup, not a backup restore.")
    day10 = ctx.day(10).date().isoformat()
    then = repo.read_at(acme_path, day10)
    now = repo.read(acme_path)
    assert isinstance(then, EntityRecord) and isinstance(now, EntityRecord)
    ctx.say(f"Acme Corp's facts as of {day10} (repo.read_at(path, '{day10}')):\n{_facts(then)}")
    ctx.say(f"Acme Corp's facts today:\n{_facts(now)}")

    ctx.chapter("9. A person edits the file by hand",
                "Dana adds a key the library does not know and a section of her own, and commits with git. "
                "The agent then adds a fact: the library rewrites the file and keeps Dana's edits.")
    file = repo.root / acme_path
    text = file.read_text(encoding="utf-8")
    head, sep, body = text.partition("\n---\n")  # end of the frontmatter
    text = f"{head}\naccount_owner: dana{sep}{body}"  # unknown keys are kept after the known ones
    text += "\n## Notes from Dana\nAsk Alice before changing the export schedule: finance depends on it.\n"
    file.write_text(text, encoding="utf-8")
    # Sync .git/index before a person's commit. The repo layer's pre-commit hook is meant to do
    # this, but under `git commit -- PATH` it writes into git's temporary index (reported).
    repo.flush()
    ctx.git("commit", "-q", "-m", "Note who owns the Acme account", "--", acme_path, person=True)
    ctx.say("Dana: git commit -m 'Note who owns the Acme account'")
    origin = ctx.origin("entity_memory")
    with ops.write_transaction(repo, "Add fact to Acme Corp: on-call rotation", origin) as tx:
        ops.add_fact(tx, "Acme Corp", "The data team's on-call rotation changes on Mondays.", origin)
    _show_last_change(ctx, acme_path)
    ctx.say("Only the new fact and the 'updated' time changed; Dana's key and section are kept as she wrote them.")

    ctx.chapter("10. A mistake, reverted", "The agent writes a wrong memory; a reviewer reverts that one commit "
                "(history keeps both the mistake and its undoing).")
    origin = ctx.origin("user_memory")
    with ops.write_transaction(repo, "Remember about alice: prefers Java", origin) as tx:
        memories, item = ops.add_memory(tx, "alice", "Prefers Java for data pipelines.", origin)
    assert tx.commit is not None
    ctx.say(f"Wrote memory {item.id} in commit {tx.commit.short}: {item.text!r}")
    undo = repo.revert(tx.commit.sha)
    ctx.say(f"repo.revert('{tx.commit.short}') -> commit {undo.short if undo else '-'}: "
            f"{undo.subject if undo else 'nothing to do'}")
    remaining = [m.text for m in repo.read(memories.path or "").memories]  # type: ignore[attr-defined]
    ctx.say("Alice's memories now: " + "; ".join(remaining))

    ctx.chapter("11. Check and tidy", "`learning-fs validate` checks every file; `git status` is clean: "
                "the library committed exactly what it wrote and kept .git/index in step.")
    problems = ops.validate_repo(repo)
    ctx.say(f"validate: {len(repo.paths())} files, {len(problems)} problems" +
            "".join(f"\n  {p}" for p in problems))
    repo.flush()
    status = ctx.git("status", "--short")
    ctx.show_command("git status --short", status or "(clean)")
    ctx.show_command("git log --oneline | wc -l", str(len(repo.log())))
