"""The notebooks run top to bottom on a freshly built example and draw their figures; they are committed clean."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import nbformat
import pytest

from learning_fs.example import build_example

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
# notebook -> (at least this many figures, at least this many tables)
EXPECTED = {"growth": (5, 4), "review": (2, 4), "quality": (7, 4), "learning_effect": (1, 2)}


def _strip_module():
    spec = importlib.util.spec_from_file_location("strip", NOTEBOOKS / "strip.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """``executed(name)``: the notebook run top to bottom on a fresh example (once per module)."""
    folder = tmp_path_factory.mktemp("notebooks")
    example = build_example(folder / "memory").path
    done: dict[str, nbformat.NotebookNode] = {}

    def run(name: str) -> nbformat.NotebookNode:
        if name not in done:
            with pytest.MonkeyPatch.context() as patch:
                done[name] = execute(name, example, patch, folder)
        return done[name]

    run.example = example  # type: ignore[attr-defined]
    return run


def execute(name: str, repo: Path, monkeypatch: pytest.MonkeyPatch, sockets: Path) -> nbformat.NotebookNode:
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient

    monkeypatch.setenv("LEARNING_FS_REPO", str(repo))  # the kernel inherits it
    notebook = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    manager = KernelManager(kernel_name="python3")
    if os.name == "posix":  # Unix sockets, not TCP on loopback (runs under --disable-socket); an absolute
        manager.transport, manager.ip = "ipc", str(sockets / f"kernel-{name}")  # prefix: the kernel runs in notebooks/
    NotebookClient(notebook, km=manager, timeout=120, resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    return notebook


def outputs(notebook: nbformat.NotebookNode) -> list[dict]:
    return [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_notebook_runs_and_draws(name, executed):
    notebook = executed(name)  # a cell that raises fails here, naming the cell
    found = outputs(notebook)
    figures = sum("image/png" in o.get("data", {}) for o in found)
    tables = sum("<table" in o.get("data", {}).get("text/html", "") for o in found)
    least_figures, least_tables = EXPECTED[name]
    assert figures >= least_figures and tables >= least_tables, (figures, tables)
    assert not [o for o in found if o.get("output_type") == "error"]
    stderr = "".join(o.get("text", "") for o in found if o.get("name") == "stderr")
    assert "Warning" not in stderr and "Traceback" not in stderr, stderr
    assert f"commits in {executed.example.resolve()}" in "".join(o.get("text", "") for o in found)


@pytest.mark.slow
def test_review_notebook_shows_the_rejections_and_the_duplicate_check_finds(executed):
    notebook = executed("review")
    html = "".join(o.get("data", {}).get("text/html", "") for o in outputs(notebook))
    assert "CSS grid works in every browser we support" in html  # a rejection reason
    assert "lead-summaries-for-managers-with-the-decision-you-need" in html  # check's duplicate candidate
    assert "summaries-for-managers-lead-with-the-decision-needed.md" in html


@pytest.mark.parametrize("path", sorted(NOTEBOOKS.glob("*.ipynb")), ids=lambda p: p.name)
def test_committed_notebook_is_valid_clean_and_parameterised(path):
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)  # what GitHub needs to render it
    assert notebook.nbformat == 4
    assert not _strip_module().has_outputs(notebook), "run python notebooks/strip.py"
    first = next(cell for cell in notebook.cells if cell.cell_type == "code")
    assert "parameters" in first.metadata.get("tags", [])
    assert "REPO = os.environ.get(\"LEARNING_FS_REPO\"" in first.source
    assert path.stem in EXPECTED, "a new notebook: add what it must draw to EXPECTED"


def test_strip_clears_outputs_and_check_reports_them(tmp_path):
    strip = _strip_module()
    notebook = nbformat.read(NOTEBOOKS / "growth.ipynb", as_version=4)
    cell = next(c for c in notebook.cells if c.cell_type == "code")
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="42\n")]
    cell.execution_count = 3
    cell.metadata["execution"] = {"iopub.status.busy": "2025-01-01T00:00:00Z"}
    notebook.metadata["language_info"] = {"name": "python", "version": "3.11.7"}
    path = tmp_path / "dirty.ipynb"
    nbformat.write(notebook, path)
    assert strip.main(["--check", str(path)]) == 1
    assert strip.main([str(path)]) == 0
    assert strip.main(["--check", str(path)]) == 0
    cleaned = nbformat.read(path, as_version=4)
    assert cleaned == nbformat.read(NOTEBOOKS / "growth.ipynb", as_version=4)
