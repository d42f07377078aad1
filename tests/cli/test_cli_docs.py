"""The documentation tells the truth: README commands and snippets run, format examples are exact."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from learning_fs.format import parse_record
from learning_fs.ops import check_file

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
FORMAT = (ROOT / "docs" / "format.md").read_text(encoding="utf-8")


def blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", text, re.S)


def test_readme_gives_the_two_commands_ci_runs():
    assert 'pip install -e ".[dev]" && learning-fs demo' in README.splitlines()
    assert "pytest" in README.splitlines()
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "install_and_demo='pip install -e \".[dev]\" && learning-fs demo'" in ci
    assert "test_command='pytest'" in ci


def test_readme_python_snippet_runs(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    [snippet] = [b for b in blocks(README, "python") if "MemoryRepo" in b][:1]
    exec(compile(snippet, "README.md", "exec"), {})
    out = capsys.readouterr().out
    assert "Add learning: Prefer uv in CI" in out and "Forget the CI lesson" in out


def test_readme_command_line_tour_runs(tmp_path, monkeypatch, invoke):
    monkeypatch.chdir(tmp_path)
    [tour] = [b for b in blocks(README, "bash") if "learning-fs add learning" in b]
    ran = 0
    for line in tour.splitlines():
        command = shlex.split(line, comments=True)
        if not command or command[1] in ("show", "revert"):  # these take ids only known at run time
            continue
        assert command[0] == "learning-fs"
        result = invoke(*command[1:])
        assert result.exit_code == 0, f"{line}\n{result.output}"
        ran += 1
    assert ran >= 9


@pytest.mark.parametrize("index", range(len([b for b in blocks(FORMAT, "markdown") if b.startswith("---")])))
def test_format_examples_are_exactly_what_the_library_writes(index):
    example = [b for b in blocks(FORMAT, "markdown") if b.startswith("---")][index]
    record = parse_record(example, "example.md")
    assert record.to_markdown() == example  # deterministic output, byte for byte


def test_readme_example_file_is_valid():
    [example] = [b for b in blocks(README, "markdown") if b.startswith("---")]
    record, problems = check_file("entities/global/f1/acme-corp.md", example)
    assert record is not None and record.to_markdown() == example
    assert [p for p in problems if p.severity == "error"] == []
