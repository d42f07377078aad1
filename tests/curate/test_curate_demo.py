"""The demo's curation chapter: a dry run that writes nothing, then one commit the index follows."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

from rich.console import Console

from learning_fs.demo import DemoContext, foundation
from learning_fs.demo import curate as curate_step
from learning_fs.repo import MemoryRepo


def test_the_curation_chapter_merges_supersedes_and_expires_in_one_commit(tmp_path: Path) -> None:
    repo = MemoryRepo.init(tmp_path / "demo")
    out = io.StringIO()
    start = dt.datetime.now(dt.timezone.utc).replace(microsecond=0) - dt.timedelta(days=30)
    ctx = DemoContext(directory=repo.root, repo=repo, console=Console(file=out, width=200), start=start)
    try:
        foundation.run(ctx)
        commits_before = len(repo.log())
        curate_step.run(ctx)
        text = out.getvalue()
        assert len(repo.log()) == commits_before + 4  # three planted writes, then ONE curation commit
    finally:
        repo.close()

    chapter = text[text.index("The curator, 2: a dry run"):]
    assert "Curate all: merged 2, superseded 1, expired 1" in chapter
    assert "+- ~~Office: Berlin~~" in chapter  # the dry run's diff
    assert "index --verify: no drift" in chapter
    context = chapter[chapter.index("machine.build_context"):]
    assert "Office: Lisbon" in context and "Office: Berlin" not in context and "on call" not in context
