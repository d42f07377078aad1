"""Run the notebooks on the example repository and commit them *with* their outputs, so GitHub shows the figures.

The outputs come from the deterministic example (``learning_fs.example.build_example``, the
published seed): the same commits, dates and numbers on every machine, so a re-run gives the same
tables and text. Only the PNG bytes of the figures can differ (matplotlib and font versions);
``--check`` compares everything else and is what ``tests/notebooks/`` asserts.

    python notebooks/render.py              # execute every notebook, write the outputs in place
    python notebooks/render.py --check      # exit 1 naming the notebooks whose outputs are stale
    python notebooks/render.py growth.ipynb # only these

Each notebook runs in a scratch copy of the layout it expects (``notebooks/`` next to a freshly
built ``memory_repo/``), with its own ``REPO`` default, so nothing of this machine — a path, a
``LEARNING_FS_REPO`` — reaches the committed outputs. A notebook run on your own repository
(``LEARNING_FS_REPO=…``) shows *your* memory: strip it (``python notebooks/strip.py``) before
committing it anywhere.
"""

from __future__ import annotations

import argparse
import copy
import importlib.util
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import nbformat

HERE = Path(__file__).resolve().parent
IMAGE_TYPES = ("image/png", "image/jpeg", "image/svg+xml")


def _strip_module() -> Any:
    spec = importlib.util.spec_from_file_location("strip", HERE / "strip.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build_scratch(folder: Path) -> Path:
    """``folder/memory_repo`` (the example, published seed), ``folder/notebooks`` (the kernel's cwd), ``bench``."""
    from learning_fs.example import DEFAULT_SEED, build_example

    build_example(folder / "memory_repo", seed=DEFAULT_SEED)
    (folder / "notebooks").mkdir(exist_ok=True)
    bench = HERE.parent / "bench"  # a notebook may import a benchmark's code from ../bench
    if bench.is_dir() and not (folder / "bench").exists():
        (folder / "bench").symlink_to(bench, target_is_directory=True)
    return folder


def execute(path: Path, scratch: Path, timeout: int = 180) -> nbformat.NotebookNode:
    """The notebook at ``path`` run top to bottom in ``scratch/notebooks`` (outputs in place, metadata clean)."""
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    _strip_module().strip(notebook)
    saved = os.environ.pop("LEARNING_FS_REPO", None)  # the notebook's own default: ../memory_repo
    try:
        manager = KernelManager(kernel_name="python3")
        if os.name == "posix":  # Unix sockets, not TCP on loopback (the tests run under --disable-socket)
            manager.transport, manager.ip = "ipc", str(scratch / f"kernel-{path.stem}")
        NotebookClient(notebook, km=manager, timeout=timeout,
                       resources={"metadata": {"path": str(scratch / "notebooks")}}).execute()
    finally:
        if saved is not None:
            os.environ["LEARNING_FS_REPO"] = saved
    return clean(notebook)


def clean(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Drop what changes between runs and machines but not the results: timings, interpreter versions."""
    for cell in notebook.cells:
        cell.metadata.pop("execution", None)
    language = notebook.metadata.get("language_info")
    if language:
        notebook.metadata["language_info"] = {"name": language.get("name", "python")}
    notebook.metadata.pop("widgets", None)
    return notebook


def comparable(notebook: nbformat.NotebookNode) -> list[Any]:
    """The notebook's sources and outputs without image bytes: what a re-run must reproduce exactly."""
    cells = []
    for cell in notebook.cells:
        entry: dict[str, Any] = {"type": cell.cell_type, "source": cell.source}
        if cell.cell_type == "code":
            outputs = []
            for output in copy.deepcopy(cell.outputs):
                data = output.get("data")
                if data:
                    for kind in IMAGE_TYPES:
                        if kind in data:
                            data[kind] = "<image>"
                output.pop("metadata", None) if not output.get("metadata") else None
                outputs.append(output)
            entry["outputs"] = outputs
            entry["execution_count"] = cell.execution_count
        cells.append(entry)
    return cells


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*", type=Path, help="notebooks (default: every one in notebooks/)")
    parser.add_argument("--check", action="store_true",
                        help="change nothing; exit 1 if a committed notebook differs from a fresh run (images aside)")
    args = parser.parse_args(argv)
    paths = [p.resolve() for p in args.paths] or sorted(HERE.glob("*.ipynb"))
    stale = []
    with tempfile.TemporaryDirectory(prefix="learning-fs-notebooks-") as folder:
        scratch = build_scratch(Path(folder))
        for path in paths:
            fresh = execute(path, scratch)
            if args.check:
                if comparable(fresh) != comparable(nbformat.read(path, as_version=4)):
                    stale.append(path)
            else:
                nbformat.write(fresh, path)
                print(f"rendered {path}")
    for path in stale:
        print(f"{path}: outputs differ from a fresh run; run python notebooks/render.py", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
