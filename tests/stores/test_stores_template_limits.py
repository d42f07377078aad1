"""Repository template overrides run under limits: time, output, range, powers, symlinks.

A memory repository is often someone else's clone, so its ``templates/`` overrides are hostile
input: they must never hang recall, blow up memory or read files outside the repository. On any
violation the packaged template is used and a warning names the file.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import pytest

from learning_fs.context import ContextRenderer
from learning_fs.context.renderer import RenderLimits
from learning_fs.format.items import Item
from learning_fs.machine import LearningMachine
from learning_fs.repo import MemoryRepo
from learning_fs.stores import UserMemoryConfig
from tests.stores.conftest import tools

MEMORIES = [Item(id="m-1", text="Prefers tea")]
PACKAGED = "- Prefers tea"


def _override(repo: MemoryRepo, text: str, name: str = "user_memory.jinja") -> Path:
    path = repo.root / "templates" / name
    path.parent.mkdir(exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


HOSTILE = {
    "nested range with output": "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}",
    "nested range, no output": "{% for i in range(9000) %}{% for j in range(9000) %}{% endfor %}{% endfor %}",
    "huge power": "{{ 9**99999 }}",
    "power of a power": "{{ (2**999)**999 }}",
    "huge repetition": "{{ 'x' * 1000000000 }}",
    "output flood": "{% for i in range(9000) %}{{ 'y' * 90000 }}{% endfor %}",
    "endless recursion": "{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}",
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_a_hostile_override_falls_back_quickly_and_names_the_file(
        repo: MemoryRepo, caplog: pytest.LogCaptureFixture, name: str) -> None:
    path = _override(repo, HOSTILE[name])
    renderer = ContextRenderer(repo)
    started = time.monotonic()
    with caplog.at_level(logging.WARNING):
        text = renderer.render("user_memory.jinja", memories=MEMORIES)
    assert time.monotonic() - started < 3.0
    assert text == PACKAGED
    assert str(path) in caplog.text


def test_build_context_with_the_nested_range_override_stays_under_five_seconds(repo: MemoryRepo) -> None:
    store = UserMemoryConfig(mode="agentic").build(repo)
    tools(store, repo)["add_memory"]("Prefers tea")
    _override(repo, HOSTILE["nested range with output"])
    machine = LearningMachine(repo, user_memory=UserMemoryConfig())
    started = time.monotonic()
    for _ in range(3):  # a broken override is not retried on every turn
        context = machine.build_context(user_id="alice", session_id="s1", message="what do I drink?")
    assert time.monotonic() - started < 5.0
    assert "Prefers tea" in context


def test_an_override_that_broke_a_limit_is_retried_once_its_file_changes(repo: MemoryRepo) -> None:
    path = _override(repo, HOSTILE["huge power"])
    renderer = ContextRenderer(repo)
    assert renderer.render("user_memory.jinja", memories=MEMORIES) == PACKAGED
    path.write_text("{{ 2**10 }} {{ 'ab' * 3 }} {{ range(3)|list }}", encoding="utf-8")
    os.utime(path, ns=(1, 10**18))
    assert renderer.render("user_memory.jinja", memories=MEMORIES) == "1024 ababab [0, 1, 2]"


def test_limits_are_configurable(repo: MemoryRepo) -> None:
    _override(repo, "{% for i in range(50) %}.{% endfor %}")
    assert ContextRenderer(repo).render("user_memory.jinja", memories=MEMORIES) == "." * 50
    assert ContextRenderer(repo, limits=RenderLimits(max_range=10)).render(
        "user_memory.jinja", memories=MEMORIES) == PACKAGED


def test_a_symlinked_override_is_refused(repo: MemoryRepo, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    secret = tmp_path / "outside.txt"
    secret.write_text("TOP SECRET local file", encoding="utf-8")
    (repo.root / "templates").mkdir()
    link = repo.root / "templates" / "user_memory.jinja"
    link.symlink_to(secret)
    with caplog.at_level(logging.WARNING):
        text = ContextRenderer(repo).render("user_memory.jinja", memories=MEMORIES)
    assert text == PACKAGED
    assert "symlink" in caplog.text and str(link) in caplog.text


def test_a_symlinked_templates_folder_is_refused(repo: MemoryRepo, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "user_memory.jinja").write_text("TOP SECRET {{ memories }}", encoding="utf-8")
    (repo.root / "templates").symlink_to(outside, target_is_directory=True)
    assert ContextRenderer(repo).render("user_memory.jinja", memories=MEMORIES) == PACKAGED
