"""``ContextRenderer``: Jinja2 templates for context blocks and prompts, overridable per repository.

The package ships one template per store (``templates/`` at the project root, installed as the
``learning_fs.templates`` package). A memory repository may replace any of them with a file of
the same name in its own ``templates/`` folder. That file comes from whoever can push to the
repository, so it is rendered in Jinja's immutable sandbox: no ``__class__``/``__mro__`` walks,
no mutating the data it is given. A broken or unsafe override is logged (file and line) and the
packaged template is used instead; recall never fails because of a template.

Templates are compiled once and cached; an override is recompiled only when its file changes
(checked by ``stat``, which is what keeps ``build_context`` in the microseconds).
"""

from __future__ import annotations

import importlib.resources
import logging
import os
import re
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

from learning_fs.context.budget import fit as fit_to_budget

if TYPE_CHECKING:
    from learning_fs.repo import MemoryRepo

log = logging.getLogger(__name__)

TEMPLATES_FOLDER = "templates"  # inside a memory repository
_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,100}\.jinja$")
_OPTIONS: dict[str, Any] = {"trim_blocks": True, "lstrip_blocks": True, "autoescape": False}


def package_templates_dir() -> Path:
    """Where the shipped templates are: the installed package, else the source checkout."""
    try:
        root = importlib.resources.files("learning_fs.templates")
        path = Path(str(root))
        if path.is_dir():
            return path
    except (ModuleNotFoundError, TypeError):  # not installed as a package: use the source checkout
        pass
    return Path(__file__).resolve().parents[2] / TEMPLATES_FOLDER


class ContextRenderer:
    """Render named templates: the repository's override (sandboxed) or the packaged one."""

    def __init__(self, repo: MemoryRepo | str | os.PathLike[str] | None = None,
                 package_dir: str | os.PathLike[str] | None = None) -> None:
        root = _root(repo)
        self.override_dir = Path(root) / TEMPLATES_FOLDER if root is not None else None
        self._override_prefix = f"{self.override_dir}{os.sep}" if self.override_dir is not None else None
        self.package_dir = Path(package_dir) if package_dir else package_templates_dir()
        self._package_env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(self.package_dir)), **_OPTIONS)
        self._sandbox = ImmutableSandboxedEnvironment(**_OPTIONS)
        self._package: dict[str, jinja2.Template] = {}
        self._overrides: dict[str, tuple[tuple[int, int, int], jinja2.Template | None]] = {}
        self._lock = threading.Lock()

    @classmethod
    def for_repo(cls, repo: MemoryRepo | str | os.PathLike[str] | None) -> ContextRenderer:
        """One shared renderer per repository (compiled templates are reused by every store)."""
        root = _root(repo)
        key = str(Path(root).resolve()) if root is not None else ""
        renderer = _shared.get(key)
        if renderer is None:
            renderer = _shared.setdefault(key, cls(root))
        return renderer

    @staticmethod
    def fit(text: str, budget_tokens: int | None) -> str:
        """``text`` trimmed to about ``budget_tokens`` (see :func:`learning_fs.context.fit`)."""
        return fit_to_budget(text, budget_tokens)

    def render(self, name: str, /, **data: Any) -> str:
        """Render template ``name`` (e.g. ``"user_profile.jinja"``) with ``data``; stripped text."""
        override = self._override(name)
        if override is not None:
            try:
                return override.render(**data).strip()
            except Exception as exc:  # SecurityError, UndefinedError, TypeError…: fall back, never fail recall
                log.warning("%s: template override failed (%s: %s); using the packaged template",
                            self._override_path(name), type(exc).__name__, exc)
        return self.package_template(name).render(**data).strip()

    def package_template(self, name: str) -> jinja2.Template:
        """The compiled packaged template (trusted: it ships with the library)."""
        template = self._package.get(name)
        if template is None:
            _check_name(name)
            with self._lock:
                template = self._package_env.get_template(name)
                self._package[name] = template
        return template

    def _override_path(self, name: str) -> Path:
        assert self.override_dir is not None
        return self.override_dir / name

    def _override(self, name: str) -> jinja2.Template | None:
        """The repository's compiled override, recompiled when its file changes; None if absent/broken."""
        if self._override_prefix is None:
            return None
        _check_name(name)
        try:  # a plain string and one stat: this runs for every block of every recall
            st = os.stat(self._override_prefix + name)
        except OSError:
            return None
        key = (st.st_mtime_ns, st.st_size, st.st_ino)
        cached = self._overrides.get(name)
        if cached is not None and cached[0] == key:
            return cached[1]
        path = self._override_path(name)
        template: jinja2.Template | None
        try:
            source = path.read_text(encoding="utf-8")
            template = self._sandbox.from_string(source)
            template.filename = str(path)
        except jinja2.TemplateSyntaxError as exc:
            log.warning("%s:%s: template syntax error (%s); using the packaged template", path, exc.lineno, exc.message)
            template = None
        except (OSError, UnicodeDecodeError) as exc:
            log.warning("%s: cannot read template override (%s); using the packaged template", path, exc)
            template = None
        with self._lock:
            self._overrides[name] = (key, template)
        return template


_shared: dict[str, ContextRenderer] = {}


def _root(repo: MemoryRepo | str | os.PathLike[str] | None) -> Path | None:
    """The repository's folder from a MemoryRepo or a path (a ``Path`` has a ``.root`` too: "/")."""
    if repo is None:
        return None
    if isinstance(repo, (str, os.PathLike)):
        return Path(repo)
    return Path(repo.root)


def _check_name(name: str) -> None:
    if not _NAME.match(name) or ".." in name:
        raise ValueError(f"invalid template name {name!r} (expected something like 'user_profile.jinja')")
