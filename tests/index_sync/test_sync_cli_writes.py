"""Commands that commit (add, revert, curate, approve…) leave an existing search index in step."""

from __future__ import annotations

import json

from click.testing import CliRunner

from learning_fs.repo import MemoryRepo


def _run(repo: MemoryRepo, *args: str) -> tuple[int, str]:
    from learning_fs.cli import cli  # imported late: the CLI registers its commands at import

    result = CliRunner().invoke(cli, ["--repo", str(repo.root), *args], catch_exceptions=False)
    return result.exit_code, result.stdout


def test_add_then_revert_keeps_the_index_verified(repo: MemoryRepo) -> None:
    assert _run(repo, "index")[0] == 0  # the repository now has a search index

    code, _ = _run(repo, "add", "learning", "--title", "Tardigrades", "Tardigrades survive in space.")
    assert code == 0
    assert _run(repo, "index", "--verify")[0] == 0  # no drift: the add was indexed as the command ended
    code, out = _run(repo, "search", "animals that survive in space", "-k", "1", "--json")
    assert code == 0 and json.loads(out)[0]["path"].startswith("learnings/")

    sha = repo.log(limit=1)[0].sha
    assert _run(repo, "revert", sha)[0] == 0
    assert _run(repo, "index", "--verify")[0] == 0  # the revert was indexed too: the learning is gone
    code, out = _run(repo, "search", "animals that survive in space", "--json")
    assert code == 0 and not any(hit["path"].startswith("learnings/") for hit in json.loads(out))
