"""The memory repository opened as an Obsidian vault: every link the library writes opens a file.

Obsidian's rule (its documentation on internal links): ``[[X]]`` and ``[[X|shown]]`` open the
file whose name without ``.md`` equals ``X`` case-insensitively, or whose path ends with ``X``;
a title, a ``name:`` or ``aliases:`` does not make a bare ``[[Alias]]`` resolve. Clicking a link
that opens nothing creates an empty root note. ``obsidiantools`` (which reads a vault the same
way, but case-sensitively) must agree wherever case does not matter.
"""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.console import Console

from learning_fs import MemoryRepo, ops
from learning_fs.cli import cli
from learning_fs.demo.runner import run_demo
from learning_fs.example import DEFAULT_SEED, build_example
from learning_fs.format.records import parse_record

LINK = re.compile(r"\[\[([^\]|#]+)(?:#[^\]|]*)?(?:\|([^\]]*))?\]\]")
ORIGIN = ops.Origin(store="test", user="alice")


def obsidian_resolves(root: Path, target: str) -> Path | None:
    """Obsidian's rule, written from its documentation (not from learning_fs)."""
    wanted = target.strip().removesuffix(".md").casefold()
    notes = sorted(p for p in root.rglob("*.md") if ".git" not in p.parts and ".obsidian" not in p.parts)
    for note in notes:
        bare = note.relative_to(root).as_posix().removesuffix(".md").casefold()
        if note.stem.casefold() == wanted or bare == wanted or bare.endswith("/" + wanted):
            return note
    return None


def all_links(root: Path) -> list[tuple[Path, str, str | None]]:
    found = []
    for note in sorted(root.rglob("*.md")):
        if ".git" in note.parts or ".learning_fs" in note.parts:
            continue
        for match in LINK.finditer(re.sub(r"<!--.*?-->", "", note.read_text(encoding="utf-8"))):
            found.append((note, match.group(1).strip(), match.group(2)))
    return found


def assert_every_link_resolves(root: Path) -> int:
    links = all_links(root)
    dangling = [(n.relative_to(root).as_posix(), t) for n, t, _ in links if obsidian_resolves(root, t) is None]
    assert not dangling, dangling
    return len(links)


def test_every_link_in_the_example_repository_resolves(tmp_path: Path) -> None:
    result = build_example(tmp_path / "example", seed=DEFAULT_SEED)
    assert assert_every_link_resolves(result.path) >= 8


def test_every_link_in_the_committed_example_resolves() -> None:
    root = Path(__file__).resolve().parents[2] / "memory_repo"
    assert assert_every_link_resolves(root) >= 8


def test_every_link_the_demo_writes_resolves(tmp_path: Path) -> None:
    root = run_demo(tmp_path / "demo", console=Console(file=io.StringIO()))
    assert assert_every_link_resolves(root) >= 4


def test_obsidiantools_finds_no_dangling_link_in_the_example(tmp_path: Path) -> None:
    otools = pytest.importorskip("obsidiantools.api")
    result = build_example(tmp_path / "example", seed=DEFAULT_SEED)
    vault = otools.Vault(result.path).connect()
    assert sum(len(v) for v in vault.wikilinks_index.values()) >= 8
    # obsidiantools matches file names case-sensitively; Obsidian does not. Every note it cannot find
    # must be one that differs from a file's name only in case ([[Airflow]] -> airflow.md).
    stems = {p.stem for p in result.path.rglob("*.md")}
    for name in vault.nonexistent_notes:
        assert name not in stems and name.casefold() in {s.casefold() for s in stems}, name
    assert len(vault.nonexistent_notes) < len(set(vault.wikilinks_index) - {""})


def test_a_shown_name_survives_a_rewrite(repo: MemoryRepo) -> None:
    with ops.write_transaction(repo, "relate", ORIGIN) as tx:
        alice, acme = ops.add_relationship(tx, "Alice Martin", "works_at", "Acme Corp", ORIGIN, note="data team")
    path = repo.root / (alice.path or "")
    assert "- works_at [[acme-corp|Acme Corp]]: data team" in path.read_text()
    with ops.write_transaction(repo, "a fact", ORIGIN) as tx:
        ops.add_fact(tx, "Alice Martin", "Speaks German.", ORIGIN)
    text = path.read_text()
    assert "- works_at [[acme-corp|Acme Corp]]: data team" in text and "Speaks German." in text
    assert obsidian_resolves(repo.root, "acme-corp") == repo.root / (acme.path or "")


def test_a_link_a_person_wrote_as_file_and_alias_is_kept(repo: MemoryRepo) -> None:
    with ops.write_transaction(repo, "relate", ORIGIN) as tx:
        alice, _ = ops.add_relationship(tx, "Alice", "knows", "Bob", ORIGIN)
    path = repo.root / (alice.path or "")
    path.write_text(path.read_text().replace("[[Bob]]", "[[bob|Bobby]]"))
    repo.flush()  # the library keeps .git/index in step in the background: let it finish before git runs
    subprocess.run(["git", "-C", str(repo.root), "commit", "-qam", "alias"], check=True)
    with ops.write_transaction(repo, "a fact", ORIGIN) as tx:
        ops.add_fact(tx, "Alice", "Likes tea.", ORIGIN)
    assert "- knows [[bob|Bobby]]" in path.read_text()


def test_a_link_to_a_hash_suffixed_file_points_at_that_file(repo: MemoryRepo) -> None:
    """"C++" and "C" both slug to c.md: the second entity's file is c-<hash>.md, and links say so."""
    with ops.write_transaction(repo, "relate", ORIGIN) as tx:
        ops.add_fact(tx, "C", "A language.", ORIGIN)
    with ops.write_transaction(repo, "relate", ORIGIN) as tx:
        source, other = ops.add_relationship(tx, "Bjarne", "created", "C++", ORIGIN)
    assert other.path and other.path.endswith(".md") and Path(other.path).stem != "c"
    text = (repo.root / (source.path or "")).read_text()
    assert f"[[{Path(other.path).stem}|C++]]" in text
    assert_every_link_resolves(repo.root)


def test_validate_reports_links_obsidian_cannot_open_and_stray_notes(repo: MemoryRepo) -> None:
    with ops.write_transaction(repo, "relate", ORIGIN) as tx:
        alice, _ = ops.add_relationship(tx, "Alice", "works_at", "Acme Corp", ORIGIN)
    path = repo.root / (alice.path or "")
    path.write_text(path.read_text().replace("[[acme-corp|Acme Corp]]", "[[Acme Corp]]"))  # the old form
    repo.flush()  # the library keeps .git/index in step in the background: let it finish before git runs
    subprocess.run(["git", "-C", str(repo.root), "commit", "-qam", "old form"], check=True)
    (repo.root / "Ghost.md").write_text("")  # what clicking a dangling [[Ghost]] leaves behind
    problems = [str(p) for p in ops.validate_repo(repo)]
    assert any("[[Acme Corp]] opens no file in Obsidian" in p and "[[acme-corp|Acme Corp]]" in p for p in problems)
    assert any(p.startswith("Ghost.md:1: warning: an empty note") for p in problems)

    report = ops.fix_repo(repo)
    assert report.commit and "[[acme-corp|Acme Corp]]" in path.read_text()
    assert not any("opens no file in Obsidian" in str(p) for p in ops.validate_repo(repo))
    assert_every_link_resolves(repo.root)


def test_init_keeps_obsidian_settings_out_of_git(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["--repo", str(tmp_path / "vault"), "init"])
    assert result.exit_code == 0, result.output
    ignored = (tmp_path / "vault" / ".gitignore").read_text().split()
    assert ".obsidian/" in ignored
    (tmp_path / "vault" / ".obsidian").mkdir()
    (tmp_path / "vault" / ".obsidian" / "workspace.json").write_text("{}")
    status = subprocess.run(["git", "-C", str(tmp_path / "vault"), "status", "--porcelain"], capture_output=True,
                            text=True, check=True).stdout
    assert ".obsidian" not in status


def test_old_bare_links_still_parse_to_the_same_target() -> None:
    text = ("---\nid: ent-1\nkind: entity\nname: Alice\n---\n\n# Alice\n\n## Relationships\n"
            "- works_at [[Acme Corp]] <!-- id=r-1 -->\n- knows [[bob|Bob]] <!-- id=r-2 -->\n")
    record = parse_record(text, "entities/global/00/alice.md")
    assert [(i.relation, i.target) for i in record.relationships] == [("works_at", "Acme Corp"), ("knows", "Bob")]
    written = record.to_markdown()
    assert "- works_at [[acme-corp|Acme Corp]]" in written  # rewritten in the form that opens the file
    assert "- knows [[Bob]]" in written  # [[bob|Bob]] and [[Bob]] open the same bob.md
