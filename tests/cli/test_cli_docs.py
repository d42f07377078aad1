"""The documentation tells the truth: README commands and snippets run, format examples are exact."""

from __future__ import annotations

import logging
import re
import shlex
from pathlib import Path

import pytest

from learning_fs.format import parse_record
from learning_fs.ops import check_file

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
FORMAT = (ROOT / "docs" / "format.md").read_text(encoding="utf-8")
MACHINE = (ROOT / "docs" / "learning-machine.md").read_text(encoding="utf-8")


def blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", text, re.S)


def section(text: str, title: str) -> str:
    """The Markdown section headed ``title`` (any level), up to the next heading of its level or higher."""
    lines = text.splitlines(keepends=True)
    starts = [i for i, line in enumerate(lines) if re.fullmatch(rf"(#+) {re.escape(title)}\s*", line)]
    assert len(starts) == 1, f"expected one heading {title!r}, found {len(starts)}"
    level = len(lines[starts[0]]) - len(lines[starts[0]].lstrip("#"))
    end = next((i for i in range(starts[0] + 1, len(lines)) if re.match(rf"#{{1,{level}}} ", lines[i])), len(lines))
    return "".join(lines[starts[0]:end])


def run_snippet(code: str, name: str, capsys: pytest.CaptureFixture[str]) -> str:
    """Run a documented snippet as a reader would paste it; what it printed."""
    exec(compile(code, name, "exec"), {})
    return capsys.readouterr().out


def assert_prints(expected: str, out: str) -> None:
    """Each line of a documented output block appears in ``out``, in order (``…`` stands for an id)."""
    printed = iter(out.splitlines())
    for line in expected.splitlines():
        pattern = re.compile(re.escape(line).replace("…", r"[0-9a-z]+"))
        assert any(pattern.fullmatch(got) for got in printed), f"documented output line not printed: {line!r}\n{out}"


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


def test_readme_learning_loop_snippet_runs_without_a_model(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    [snippet] = [b for b in blocks(README, "python") if "get_tools" in b][:1]
    out = run_snippet(snippet, "README.md", capsys)
    assert "<user_memory>" in out and "Prefers short answers with a code sample first." in out
    assert "<learned_knowledge>" in out  # what its closing comment says it prints


@pytest.mark.parametrize("title", ["Without a model", "Writing a custom store"])
def test_learning_machine_doc_model_free_examples_run_and_print_what_the_doc_shows(
    title, tmp_path, monkeypatch, capsys, caplog
):
    monkeypatch.chdir(tmp_path)
    for name in ("OPENAI_API_KEY", "LEARNING_FS_BASE_URL", "LEARNING_FS_MODEL", "LEARNING_FS_REPO"):
        monkeypatch.delenv(name, raising=False)
    text = section(MACHINE, title)
    code, expected = blocks(text, "python")[0], blocks(text, "text")[0]
    with caplog.at_level(logging.WARNING):
        out = run_snippet(code, f"docs/learning-machine.md ({title})", capsys)
    assert_prints(expected, out)
    assert "will not learn" not in caplog.text  # no store here needs a model to learn


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
