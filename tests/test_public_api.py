"""The public API: every exported name resolves, and ``__all__`` is sorted and complete."""

import importlib
import subprocess
import sys

import learning_fs


def test_every_exported_name_resolves() -> None:
    for name in learning_fs.__all__:
        assert getattr(learning_fs, name) is not None, name


def test_all_is_sorted_and_matches_the_export_table() -> None:
    assert learning_fs.__all__ == sorted(learning_fs.__all__)
    assert set(learning_fs.__all__) == {*learning_fs._EXPORTS, "__version__"}


def test_names_the_issues_promise_are_exported() -> None:
    promised = {
        "LearningMachine", "LearningMode", "LearningStore", "UserProfile", "UserProfileConfig",
        "UserMemoryConfig", "SessionContextConfig", "EntityMemoryConfig", "LearnedKnowledgeConfig",
        "DecisionLogConfig", "Agent", "OpenAIChat", "MemoryRepo",
    }
    assert promised <= set(learning_fs.__all__)


def test_exports_are_the_defining_objects() -> None:
    from learning_fs.repo import MemoryRepo

    assert learning_fs.MemoryRepo is MemoryRepo
    assert learning_fs.LearningMode is importlib.import_module("learning_fs.stores").LearningMode


def test_import_is_cheap() -> None:
    """`learning-fs --help` pays for `import learning_fs`; heavy modules load on first use."""
    code = "import sys, learning_fs; print(sorted(m for m in ('chromadb', 'openai', 'pygit2') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
