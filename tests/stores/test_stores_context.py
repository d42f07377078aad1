"""Context rendering: packaged templates, repository overrides (sandboxed), compiled cache, budgets."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from learning_fs.context import ContextRenderer, estimate_tokens, fit, package_templates_dir
from learning_fs.format.items import Item
from learning_fs.repo import MemoryRepo
from learning_fs.stores import UserMemoryConfig
from tests.stores.conftest import tools

STORE_TEMPLATES = ["user_profile", "user_memory", "session_context", "entity_memory", "learned_knowledge",
                   "decision_log"]


def _override(repo: MemoryRepo, name: str, text: str) -> Path:
    path = repo.root / "templates" / name
    path.parent.mkdir(exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("store", STORE_TEMPLATES)
def test_every_store_ships_a_context_and_an_extraction_template(store: str) -> None:
    folder = package_templates_dir()
    assert (folder / f"{store}.jinja").is_file()
    assert (folder / f"{store}_extract.jinja").is_file()
    assert (folder / "__init__.py").is_file()


def test_store_context_uses_the_repository_override(repo: MemoryRepo) -> None:
    store = UserMemoryConfig(mode="agentic").build(repo)
    tools(store, repo)["add_memory"]("Prefers tea")
    assert store.build_context(store.recall(user_id="alice")) == "- Prefers tea"
    _override(repo, "user_memory.jinja", "{% for m in memories %}* {{ m.text | upper }}\n{% endfor %}")
    assert store.build_context(store.recall(user_id="alice")) == "* PREFERS TEA"


def test_override_is_recompiled_when_the_file_changes(repo: MemoryRepo) -> None:
    renderer = ContextRenderer(repo)
    path = _override(repo, "user_memory.jinja", "one")
    assert renderer.render("user_memory.jinja", memories=[]) == "one"
    assert renderer.render("user_memory.jinja", memories=[]) == "one"  # cached, still right
    path.write_text("two, changed", encoding="utf-8")
    os.utime(path, ns=(1, 10**18))  # a different mtime even on coarse-timestamp file systems
    assert renderer.render("user_memory.jinja", memories=[]) == "two, changed"


def test_sandbox_blocks_attribute_walks_and_falls_back(repo: MemoryRepo, caplog: pytest.LogCaptureFixture) -> None:
    _override(repo, "user_memory.jinja", "{{ ''.__class__.__mro__[1].__subclasses__() }}")
    renderer = ContextRenderer(repo)
    with caplog.at_level(logging.WARNING):
        text = renderer.render("user_memory.jinja", memories=[Item(id="m-1", text="Prefers tea")])
    assert text == "- Prefers tea"  # the packaged template, not a dump of Python internals
    assert "subclasses" not in text and "object" not in text
    assert "user_memory.jinja" in caplog.text and "SecurityError" in caplog.text


def test_sandbox_forbids_mutating_the_data(repo: MemoryRepo) -> None:
    _override(repo, "user_memory.jinja", "{{ memories.append(1) }}{{ memories | length }}")
    memories = [Item(id="m-1", text="Prefers tea")]
    assert ContextRenderer(repo).render("user_memory.jinja", memories=memories) == "- Prefers tea"
    assert len(memories) == 1


def test_syntax_error_in_override_names_the_file_and_line(repo: MemoryRepo, caplog: pytest.LogCaptureFixture) -> None:
    _override(repo, "user_memory.jinja", "fine\n{% for m in %}")
    with caplog.at_level(logging.WARNING):
        text = ContextRenderer(repo).render("user_memory.jinja", memories=[Item(id="m-1", text="x")])
    assert text == "- x"
    assert "user_memory.jinja:2" in caplog.text


def test_template_names_cannot_escape_the_folder(repo: MemoryRepo) -> None:
    with pytest.raises(ValueError, match="invalid template name"):
        ContextRenderer(repo).render("../../etc/passwd.jinja")


def test_shared_renderer_per_repository(repo: MemoryRepo) -> None:
    assert ContextRenderer.for_repo(repo) is ContextRenderer.for_repo(repo.root)


def test_fit_keeps_whole_lines_in_order_and_says_so() -> None:
    text = "\n".join(f"line {i} " + "x" * 30 for i in range(100))
    trimmed = fit(text, 100)
    assert estimate_tokens(trimmed) <= 100
    lines = trimmed.split("\n")
    assert lines[0].startswith("line 0 ") and lines[-2].startswith(f"line {len(lines) - 2} ")
    assert "omitted" in lines[-1]
    assert fit("short", 100) == "short"
    assert fit(text, None) == text
