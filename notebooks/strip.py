"""Strip a notebook's outputs (what nbstripout does), or check that they are stripped.

The notebooks here are committed with outputs rendered from the example (``render.py``, which
also uses :func:`strip` to start clean). A notebook run on *your* memory repository shows your
memory: strip it before committing it anywhere, so no picture of a private repository lands in
git.

    python notebooks/strip.py              # strip every notebook in notebooks/, in place
    python notebooks/strip.py --check      # exit 1 naming the notebooks that still have outputs
    python notebooks/strip.py a.ipynb ...  # only these
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
CELL_METADATA_DROPPED = ("execution", "collapsed", "scrolled", "ExecuteTime")


def strip(notebook: nbformat.NotebookNode) -> bool:
    """Clear outputs, execution counts and run-time metadata in place; True when something changed."""
    before = nbformat.writes(notebook)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        for key in CELL_METADATA_DROPPED:
            cell.metadata.pop(key, None)
    language = notebook.metadata.get("language_info")
    if language:
        notebook.metadata["language_info"] = {"name": language.get("name", "python")}
    notebook.metadata.pop("widgets", None)
    return nbformat.writes(notebook) != before


def has_outputs(notebook: nbformat.NotebookNode) -> bool:
    return any(cell.cell_type == "code" and (cell.outputs or cell.execution_count is not None)
               for cell in notebook.cells)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*", type=Path, help="notebooks (default: every one in notebooks/)")
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a notebook has outputs")
    args = parser.parse_args(argv)
    paths = args.paths or sorted(HERE.glob("*.ipynb"))
    dirty = []
    for path in paths:
        notebook = nbformat.read(path, as_version=4)
        if args.check:
            if has_outputs(notebook):
                dirty.append(path)
        elif strip(notebook):
            nbformat.write(notebook, path)
            print(f"stripped {path}")
    for path in dirty:
        print(f"{path}: has outputs; run python notebooks/strip.py", file=sys.stderr)
    return 1 if dirty else 0


if __name__ == "__main__":
    sys.exit(main())
