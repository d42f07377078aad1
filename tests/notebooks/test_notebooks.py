"""The notebooks run top to bottom on a freshly built example, draw labelled figures, and are committed with
the outputs that run gives (GitHub shows them): a re-run reproduces every output but the image bytes."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
# notebook -> (at least this many figures, at least this many tables)
EXPECTED = {"growth": (5, 4), "review": (2, 4), "quality": (7, 4), "learning_effect": (1, 2)}


def _module(name: str):
    spec = importlib.util.spec_from_file_location(name, NOTEBOOKS / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _strip_module():
    return _module("strip")


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """``executed(name)``: the notebook run by ``notebooks/render.py`` on a fresh example (once per module)."""
    render = _module("render")
    scratch = render.build_scratch(tmp_path_factory.mktemp("notebooks"))
    done: dict[str, nbformat.NotebookNode] = {}

    def run(name: str) -> nbformat.NotebookNode:
        if name not in done:
            done[name] = render.execute(NOTEBOOKS / f"{name}.ipynb", scratch)
        return done[name]

    run.example = scratch / "memory_repo"  # type: ignore[attr-defined]
    return run


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
    assert "commits in ../memory_repo" in "".join(o.get("text", "") for o in found)  # nothing of this machine


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_committed_outputs_are_what_a_fresh_run_gives(name, executed):
    """GitHub shows the committed outputs: they must be today's, from the example (figures' bytes aside)."""
    render = _module("render")
    committed = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    assert render.comparable(committed) == render.comparable(executed(name)), "run python notebooks/render.py"


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_figure_has_axis_labels(name, executed):
    """Each plotting cell labels both axes (what a reader of the rendered page needs)."""
    import re

    for cell in executed(name).cells:
        if cell.cell_type == "code" and re.search(r"\.plot(\.\w+)?\(", cell.source):
            calls = len(re.findall(r"\.plot(?:\.\w+)?\(", cell.source))
            labels = len(re.findall(r"xlabel[=(]", cell.source)), len(re.findall(r"ylabel[=(]", cell.source))
            assert min(labels) >= calls, cell.source


@pytest.mark.slow
def test_review_notebook_shows_the_rejections_and_the_duplicate_check_finds(executed):
    notebook = executed("review")
    html = "".join(o.get("data", {}).get("text/html", "") for o in outputs(notebook))
    assert "CSS grid works in every browser we support" in html  # a rejection reason
    assert "lead-summaries-for-managers-with-the-decision-you-need" in html  # check's duplicate candidate
    assert "summaries-for-managers-lead-with-the-decision-needed.md" in html


@pytest.mark.parametrize("path", sorted(NOTEBOOKS.glob("*.ipynb")), ids=lambda p: p.name)
def test_committed_notebook_is_valid_rendered_and_parameterised(path):
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)  # what GitHub needs to render it
    assert notebook.nbformat == 4
    found = outputs(notebook)
    assert sum("image/png" in o.get("data", {}) for o in found) >= EXPECTED[path.stem][0], \
        "committed with its figures: run python notebooks/render.py"
    assert all("execution" not in cell.metadata for cell in notebook.cells)
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
    expected = nbformat.read(NOTEBOOKS / "growth.ipynb", as_version=4)
    strip.strip(expected)
    assert cleaned == expected
