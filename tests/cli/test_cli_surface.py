"""The CLI as installed: the console script, help everywhere, docs/cli.md in step, the demo, plugins of commands."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

import learning_fs.cli as cli_package
from learning_fs.cli import cli
from learning_fs.demo import discover_steps, run_demo

ROOT = Path(__file__).resolve().parents[2]


def all_commands(command: click.Command = cli, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [path]
    if isinstance(command, click.Group):
        for name, sub in sorted(command.commands.items()):
            found.extend(all_commands(sub, (*path, name)))
    return found


def test_the_issue_interface_exists():
    names = {" ".join(p) for p in all_commands()}
    for wanted in ("init", "add learning", "add memory", "add fact", "add event", "add relationship",
                   "add decision", "show", "ls", "log", "revert", "validate", "demo"):
        assert wanted in names


@pytest.mark.parametrize("path", all_commands(), ids=lambda p: " ".join(p) or "learning-fs")
def test_every_command_has_help_with_an_example(invoke, path):
    result = invoke(*path, "--help")
    assert result.exit_code == 0
    assert result.stdout.startswith("Usage: learning-fs")
    description = result.stdout.split("Options:")[0]
    assert description.count("learning-fs") >= 2, "the help shows no example command"


def test_docs_cli_md_is_up_to_date():
    spec = importlib.util.spec_from_file_location("gen_cli", ROOT / "docs" / "gen_cli.py")
    assert spec and spec.loader
    gen_cli = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen_cli)
    current = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert current == gen_cli.render(), "docs/cli.md is stale: run `python docs/gen_cli.py`"


def test_constants_kept_light_in_the_cli_match_the_library():
    from learning_fs.cli import _shared, browse
    from learning_fs.format import KINDS
    from learning_fs.repo.config import CONFIG_FILE

    assert browse.KINDS == KINDS and _shared.CONFIG_FILE == CONFIG_FILE


def test_verbose_logging_is_scoped_to_the_command(invoke, tmp_path):
    import logging

    logger = logging.getLogger("learning_fs")
    before = (logger.level, list(logger.handlers))
    result = invoke("-vv", "--repo", str(tmp_path / "m"), "init")
    assert result.exit_code == 0
    assert (logger.level, list(logger.handlers)) == before


def test_version(invoke):
    result = invoke("--version")
    assert result.exit_code == 0 and result.stdout.startswith("learning-fs, version ")


def test_a_broken_command_module_is_reported_and_the_rest_still_register(monkeypatch, capsys):
    real_import = cli_package.importlib.import_module

    def flaky_import(name: str):
        if name.endswith(".history"):
            raise ImportError("simulated: a dependency is missing")
        return real_import(name)

    monkeypatch.setattr(cli_package.importlib, "import_module", flaky_import)
    group = click.Group("fresh")
    cli_package._register_all(group)
    assert "log" not in group.commands and {"add", "init", "ls", "validate", "demo"} <= set(group.commands)
    assert "commands from 'history' are unavailable: ImportError: simulated" in capsys.readouterr().err


def test_demo_runs_offline_and_leaves_a_clean_repository(tmp_path):
    target = tmp_path / "demo"
    result = CliRunner().invoke(cli, ["demo", "--dir", str(target)], prog_name="learning-fs", catch_exceptions=False)
    assert result.exit_code == 0, result.output
    for chapter in ("A user profile", "Memories about Alice", "A session context", "relationships",
                    "Learnings and a decision", "Git is the log", "What did the agent know", "by hand",
                    "reverted"):
        assert chapter in result.stdout
    assert "- employs [[Alice]]" in result.stdout and "Learning-Store: entity_memory" in result.stdout
    assert "validate: 9 files, 0 problems" in result.stdout
    git = ["git", "-C", str(target)]
    assert subprocess.run([*git, "status", "--porcelain"], capture_output=True, text=True).stdout == ""
    assert subprocess.run([*git, "fsck", "--strict"], capture_output=True).returncode == 0
    dana = (target / "entities/global/f1/acme-corp.md").read_text()
    assert "account_owner: dana" in dana and "## Notes from Dana" in dana and "on-call rotation" in dana


def test_demo_in_a_temporary_folder_cleans_up(tmp_path):
    from io import StringIO

    from rich.console import Console

    where = run_demo(console=Console(file=StringIO()))
    assert not where.exists()
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "file").write_text("x")
    result = CliRunner().invoke(cli, ["demo", "--dir", str(taken)], prog_name="learning-fs")
    assert result.exit_code == 1 and "not empty" in result.stderr


def test_demo_steps_are_discovered_in_order():
    steps = discover_steps()
    assert [s.__name__.rsplit(".", 1)[1] for s in steps][:2] == ["foundation", "history"]
    assert [s.ORDER for s in steps] == sorted(s.ORDER for s in steps)


def test_the_installed_console_script(tmp_path):
    """The real `learning-fs` executable, as the acceptance checks call it."""
    exe = shutil.which("learning-fs") or shutil.which("learning-fs", path=str(Path(sys.executable).parent))
    assert exe, "the learning-fs console script is not installed: run `pip install -e .`"
    repo = str(tmp_path / "mem")
    env = {k: v for k, v in os.environ.items() if k != "LEARNING_FS_REPO"}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([exe, "--repo", repo, *args], capture_output=True, text=True, env=env, timeout=60)

    assert run("init").returncode == 0
    assert run("add", "learning", "--title", "Prefer uv", "--namespace", "team-a", "Use uv.").returncode == 0
    assert run("add", "memory", "--user", "alice", "Likes tea.").returncode == 0
    assert run("validate").returncode == 0
    log = run("log")
    assert log.returncode == 0 and "Add learning: Prefer uv" in log.stdout and "Learning-Store: cli" in log.stdout
    broken = tmp_path / "mem" / "learnings" / "global" / "00" / "broken.md"
    broken.parent.mkdir(parents=True)
    broken.write_text("---\nid: lrn-b\nkind: learning\ntitle: a: b\n---\n")
    failed = run("validate")
    assert failed.returncode == 1
    assert "learnings/global/00/broken.md:4: invalid YAML frontmatter" in failed.stdout
    missing = subprocess.run([exe, "--repo", str(tmp_path / "nothing"), "ls"], capture_output=True, text=True,
                             env=env, timeout=60)
    assert missing.returncode == 1 and "Traceback" not in missing.stderr and "Error:" in missing.stderr
