"""Every install line we ship works for a new user today.

learning-fs is not on a package index and has no published release tag, so a bare
``pip install learning-fs`` or ``uses: learning-fs/learning-fs@v0`` fails for whoever copies it.
What we ship installs from a checkout (``-e .``, the action's own folder) or from the repository
URL at a ref that exists (``main``, or a commit sha a person pins).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
REPO_URL = "git+https://github.com/learning-fs/learning-fs@"
SHIPPED = [ROOT / "README.md", ROOT / "action.yml", *sorted((ROOT / "templates" / "github").glob("*.yml")),
           *sorted((ROOT / "docs").glob("*.md")), ROOT / "notebooks" / "README.md",
           *sorted((ROOT / "notebooks").glob("*.ipynb")), *sorted((ROOT / "examples").glob("*.md"))]
PIP_LINE = re.compile(r"pip install (?P<args>[^\n`]*)")
ACTION_REF = re.compile(r"uses:\s*learning-fs/learning-fs@(?P<ref>[\w./-]+)")


def _text(path: Path) -> str:
    if path.suffix == ".ipynb":
        cells = json.loads(path.read_text())["cells"]
        return "\n".join("".join(c["source"]) for c in cells)
    return path.read_text()


def _installs_of_learning_fs(text: str) -> list[str]:
    found = []
    for match in PIP_LINE.finditer(text):
        args = match.group("args")
        if "learning-fs" in args or "learning_fs" in args or "-e" in args.split():
            found.append(args.strip())
    return found


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_shipped_install_line_needs_a_package_index(path: Path) -> None:
    for args in _installs_of_learning_fs(_text(path)):
        for quoted in re.findall(r"\"([^\"]*learning-fs[^\"]*)\"", args):
            if quoted.startswith(("${", ".")):
                continue
            requirement = Requirement(quoted)
            assert requirement.url and requirement.url.startswith(REPO_URL), (path, args)
            assert requirement.url.removeprefix(REPO_URL).split("#")[0] in ("main", "${LEARNING_FS_REF}"), args
        if not re.search(r"\"[^\"]*learning-fs", args):  # unquoted: only a checkout or the action's folder
            assert args.startswith(("-e ", "--quiet \"${PACKAGE")) or "-e ." in args, (path, args)


def test_workflows_use_the_action_at_a_ref_that_exists() -> None:
    refs = []
    for path in [ROOT / "action.yml", *(ROOT / "templates" / "github").glob("*.yml"), *(ROOT / "docs").glob("*.md")]:
        refs += [(path.name, m.group("ref")) for m in ACTION_REF.finditer(path.read_text())
                 if not m.group("ref").startswith("<")]  # a placeholder in prose (@<ref>, @<commit sha>)
    assert refs, "the workflow template uses the action"
    for name, ref in refs:
        assert ref == "main" or re.fullmatch(r"[0-9a-f]{40}", ref), f"{name}: @{ref} may not exist"


def test_the_action_installs_from_its_own_checkout_by_default() -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    install = next(s for s in action["runs"]["steps"] if s.get("name") == "Install learning-fs")
    assert install["env"]["ACTION_PATH"] == "${{ github.action_path }}"
    assert '"${PACKAGE:-$ACTION_PATH}"' in install["run"]


def test_the_curation_workflow_installs_from_the_repository_at_main() -> None:
    workflow = yaml.safe_load((ROOT / "templates" / "github" / "curate.yml").read_text())
    install = next(s for s in workflow["jobs"]["curate"]["steps"] if s.get("name") == "Install learning-fs")
    assert install["env"]["LEARNING_FS_REF"] == "main"
    assert REPO_URL + "${LEARNING_FS_REF}" in install["run"]
