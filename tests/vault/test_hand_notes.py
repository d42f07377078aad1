"""Notes written by hand (in an editor, in Obsidian) without an id: readable, fixable, and told how.

A person who adds ``entities/global/f1/acme-corp.md`` with a name and a fact but no ``id`` must
not block the agent (which reads that file to add the next fact) nor be left with a validate
error that does not say what to do.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from click.testing import CliRunner

from learning_fs import EntityRecord, MemoryRepo, ops
from learning_fs.cli import cli
from learning_fs.format.layout import record_path
from learning_fs.format.records import parse_record

ORIGIN = ops.Origin(store="test")


def _commit(repo: MemoryRepo, message: str) -> None:
    repo.flush()  # the library keeps .git/index in step in the background: let it finish before git runs
    subprocess.run(["git", "-C", str(repo.root), "add", "-A"], check=True)
    subprocess.run(["git", "-C", str(repo.root), "commit", "-qm", message], check=True)


def _log(repo: MemoryRepo, n: int = 1) -> str:
    return subprocess.run(["git", "-C", str(repo.root), "log", f"-{n}", "--format=%B"], capture_output=True,
                          text=True, check=True).stdout


def test_validate_says_how_and_fix_gives_the_note_an_id(repo: MemoryRepo) -> None:
    note = repo.root / "learnings" / "global" / "ab" / "retry-uploads.md"
    note.parent.mkdir(parents=True)
    note.write_text("---\nkind: learning\ntitle: Retry uploads\n---\n\n# Retry uploads\n\nRetry S3 uploads 3 times.\n")
    runner = CliRunner()
    before = runner.invoke(cli, ["--repo", str(repo.root), "validate"])
    assert before.exit_code == 1
    assert "retry-uploads.md:1: frontmatter has no 'id': `learning-fs validate --fix`" in before.output
    expected = parse_record(note.read_text(), "learnings/global/ab/retry-uploads.md").id

    fixed = runner.invoke(cli, ["--repo", str(repo.root), "validate", "--fix"])
    assert fixed.exit_code == 0, fixed.output
    assert f"id: {expected}" in fixed.output
    text = note.read_text()
    assert text.startswith(f"---\nid: {expected}\nkind: learning\n") and "Retry S3 uploads 3 times." in text
    assert "it now has the id" in _log(repo) and "Commit 1 hand-edited file(s) as written" in _log(repo, 2)
    assert runner.invoke(cli, ["--repo", str(repo.root), "validate"]).exit_code == 0


def test_fix_takes_a_missing_kind_from_the_folder(repo: MemoryRepo) -> None:
    note = repo.root / "decisions" / "global" / "cd" / "use-postgres.md"
    note.parent.mkdir(parents=True)
    note.write_text("---\ntitle: Use Postgres\n---\n\n# Use Postgres\n\nStore orders in Postgres.\n")
    _commit(repo, "a hand-written decision")
    problems = [str(p) for p in ops.validate_repo(repo)]
    assert any("no 'kind'" in p and "validate --fix" in p for p in problems)
    report = ops.fix_repo(repo)
    assert ("decisions/global/cd/use-postgres.md", "kind: decision (from its folder)") in report.fixed
    record = parse_record(note.read_text(), "decisions/global/cd/use-postgres.md")
    assert record.kind == "decision" and not record.id_assigned and record.decision == "Store orders in Postgres."
    assert not [p for p in ops.validate_repo(repo) if p.severity == "error"]


def test_the_library_gives_a_hand_written_entity_its_id_on_first_write(repo: MemoryRepo) -> None:
    path = record_path(EntityRecord(name="Acme Corp"))
    (repo.root / path).parent.mkdir(parents=True)
    (repo.root / path).write_text("---\nkind: entity\nname: Acme Corp\n---\n\n# Acme Corp\n\n## Facts\n"
                                  "- Runs PostgreSQL 16.\n")
    _commit(repo, "Acme, by hand")
    read_as = parse_record((repo.root / path).read_text(), path)
    assert read_as.id_assigned and read_as.id.startswith("ent-")

    with ops.write_transaction(repo, "Add fact to Acme Corp", ORIGIN) as tx:
        record, _ = ops.add_fact(tx, "Acme Corp", "Bills monthly in EUR.", ORIGIN)
    assert record.path == path and record.id == read_as.id  # the same file, the id it was read with
    text = (repo.root / path).read_text()
    assert text.startswith(f"---\nid: {read_as.id}\n") and "Runs PostgreSQL 16." in text and "Bills monthly" in text
    assert f"{path}: written by hand without an id; it now has the id {read_as.id}." in _log(repo)


def test_reading_a_note_twice_gives_the_same_id(tmp_path: Path) -> None:
    text = "---\nkind: learning\ntitle: T\n---\n\n# T\n\nText.\n"
    one = parse_record(text, "learnings/global/00/t.md")
    assert one.id == parse_record(text, "learnings/global/00/t.md").id
    assert one.id != parse_record(text, "learnings/global/00/u.md").id
