"""The wheel carries every subpackage, the templates and the tokenizer: `pip install .` works."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _declared_packages() -> set[str]:
    tomllib = pytest.importorskip("tomllib")  # stdlib from Python 3.11
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return set(config["tool"]["setuptools"]["packages"])


def test_every_subpackage_is_declared() -> None:
    found = {str(p.parent.relative_to(ROOT)).replace("/", ".") for p in (ROOT / "learning_fs").rglob("__init__.py")}
    assert found | {"learning_fs.templates"} == _declared_packages()


@pytest.mark.slow
def test_wheel_contains_templates_and_tokenizer(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(tmp_path), str(ROOT)],
        check=True, capture_output=True,
    )
    wheel = next(tmp_path.glob("learning_fs-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    templates = {Path(n).name for n in names if n.startswith("learning_fs/templates/")}
    assert {p.name for p in (ROOT / "templates").glob("*.jinja")} <= templates
    assert "learning_fs/index/data/minilm-tokenizer.json" in names
    assert "learning_fs/cli/__init__.py" in names
    # The licence ships and is declared as an SPDX expression (PEP 639), matching LICENSE.
    dist_info = next(n.split("/")[0] for n in names if n.endswith(".dist-info/METADATA"))
    metadata = zipfile.ZipFile(wheel).read(f"{dist_info}/METADATA").decode()
    assert "License-Expression: Apache-2.0" in metadata.splitlines()
    assert "License-File: LICENSE" in metadata.splitlines()
    shipped = zipfile.ZipFile(wheel).read(f"{dist_info}/licenses/LICENSE").decode()
    assert shipped == (ROOT / "LICENSE").read_text() and "Apache License" in shipped and "Version 2.0" in shipped
