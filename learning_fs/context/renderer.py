"""``ContextRenderer``: Jinja2 templates for context blocks and prompts, overridable per repository.

The package ships one template per store (``templates/`` at the project root, installed as the
``learning_fs.templates`` package). A memory repository may replace any of them with a file of
the same name in its own ``templates/`` folder. That file comes from whoever can push to the
repository, so it is rendered in Jinja's immutable sandbox: no ``__class__``/``__mro__`` walks,
no mutating the data it is given. A broken or unsafe override is logged (file and line) and the
packaged template is used instead; recall never fails because of a template.

The sandbox alone does not stop a template from running for ever (``range`` inside ``range``) or
computing ``9**9**9``, so overrides also run under limits (:class:`RenderLimits`): a time budget
and an output cap per render, capped ``range``, exponents and repetitions, and a count of the
sandbox's operations. An override that breaks a limit is reported once (file and limit) and not
tried again until its file changes. Overrides are read only from a real folder inside the
repository: a symlinked ``templates/`` folder or template file (a cloned repository pointing at
``/etc/passwd``) is refused.

Templates are compiled once and cached; an override is recompiled only when its file changes
(checked by ``stat``, which is what keeps ``build_context`` in the microseconds).
"""

from __future__ import annotations

import importlib.resources
import logging
import operator
import os
import re
import stat
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

from learning_fs.context.budget import fit as fit_to_budget

if TYPE_CHECKING:
    from learning_fs.repo import MemoryRepo

log = logging.getLogger(__name__)

TEMPLATES_FOLDER = "templates"  # inside a memory repository
_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,100}\.jinja$")
_OPTIONS: dict[str, Any] = {"trim_blocks": True, "lstrip_blocks": True, "autoescape": False}


@dataclass(frozen=True)
class RenderLimits:
    """What one render of a repository's template override may cost (packaged templates are trusted).

    The defaults are far above what a context block needs (a packaged template renders in
    microseconds to a few kilobytes) and far below what hangs an agent.
    """

    seconds: float = 1.0  # wall time of one render
    max_output: int = 200_000  # characters one render may produce
    max_range: int = 10_000  # items one range() may yield
    max_operations: int = 1_000_000  # range steps, calls, attribute and item look-ups
    max_power: int = 1_000  # largest exponent of **
    max_repeat: int = 100_000  # longest result of "x" * n


class TemplateLimitError(SecurityError):
    """A template override broke a :class:`RenderLimits` limit."""


class _Budget:
    """The running cost of one render; checked on every counted operation."""

    __slots__ = ("deadline", "limits", "operations")

    def __init__(self, limits: RenderLimits) -> None:
        self.limits = limits
        self.deadline = time.monotonic() + limits.seconds
        self.operations = 0

    def tick(self) -> None:
        self.operations += 1
        if self.operations > self.limits.max_operations:
            raise TemplateLimitError(f"more than {self.limits.max_operations} operations")
        if self.operations % 256 == 0 and time.monotonic() > self.deadline:
            raise TemplateLimitError(f"render took longer than {self.limits.seconds} s")


class _LimitedSandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox plus an operation budget per render (see :class:`RenderLimits`)."""

    intercepted_binops = frozenset({"**", "*"})

    def __init__(self, limits: RenderLimits, **options: Any) -> None:
        super().__init__(**options)
        self.limits = limits
        self._local = threading.local()
        self.globals["range"] = self._range

    def budget(self) -> _Budget:
        budget: _Budget | None = getattr(self._local, "budget", None)
        if budget is None:  # rendering outside render_limited (a test, a debugger): still bounded
            budget = self._local.budget = _Budget(self.limits)
        return budget

    def start(self) -> _Budget:
        budget = self._local.budget = _Budget(self.limits)
        return budget

    def _range(self, *args: int) -> Iterator[int]:
        values = range(*args)
        if len(values) > self.limits.max_range:
            raise TemplateLimitError(f"range() of {len(values)} items (the limit is {self.limits.max_range})")
        budget = self.budget()
        for value in values:
            budget.tick()
            yield value

    def call_binop(self, context: Any, operator_: str, left: Any, right: Any) -> Any:
        self.budget().tick()
        if operator_ == "**":
            if isinstance(right, (int, float)) and abs(right) > self.limits.max_power:
                raise TemplateLimitError(f"exponent {right} (the limit is {self.limits.max_power})")
            bits = left.bit_length() * right if isinstance(left, int) and isinstance(right, int) else 0
            if bits > 64 * self.limits.max_power:
                raise TemplateLimitError(f"a power of about {bits} bits")
            return operator.pow(left, right)
        size = _repetition(left, right)
        if size > self.limits.max_repeat:
            raise TemplateLimitError(f"a repetition of {size} items (the limit is {self.limits.max_repeat})")
        return operator.mul(left, right)

    def call(self, context: Any, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        self.budget().tick()
        return super().call(context, obj, *args, **kwargs)

    def getattr(self, obj: Any, attribute: str) -> Any:
        self.budget().tick()
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        self.budget().tick()
        return super().getitem(obj, argument)

    def render_limited(self, template: jinja2.Template, data: dict[str, Any]) -> str:
        """Render chunk by chunk, stopping at the time budget or the output cap."""
        budget = self.start()
        parts: list[str] = []
        size = 0
        try:
            for chunk in template.generate(**data):
                size += len(chunk)
                if size > self.limits.max_output:
                    raise TemplateLimitError(f"output over {self.limits.max_output} characters")
                parts.append(chunk)
                budget.tick()
        finally:
            self._local.budget = None
        return "".join(parts)


def _repetition(left: Any, right: Any) -> int:
    """How many items ``left * right`` makes when it repeats a sequence (0 for arithmetic)."""
    for sequence, count in ((left, right), (right, left)):
        if isinstance(sequence, (str, list, tuple)) and isinstance(count, int):
            return len(sequence) * count
    return 0


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
                 package_dir: str | os.PathLike[str] | None = None, limits: RenderLimits | None = None) -> None:
        root = _root(repo)
        self.root = Path(root) if root is not None else None
        self.override_dir = Path(root) / TEMPLATES_FOLDER if root is not None else None
        self._override_prefix = f"{self.override_dir}{os.sep}" if self.override_dir is not None else None
        self.package_dir = Path(package_dir) if package_dir else package_templates_dir()
        self._package_env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(self.package_dir)), **_OPTIONS)
        self.limits = limits or RenderLimits()
        self._sandbox = _LimitedSandbox(self.limits, **_OPTIONS)
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
                return self._sandbox.render_limited(override, data).strip()
            except TemplateLimitError as exc:  # never tried again until the file changes
                log.warning("%s: template override broke a limit (%s); using the packaged template until the "
                            "file changes", self._override_path(name), exc)
                self._disable(name, override)
            except Exception as exc:  # SecurityError, UndefinedError, TypeError…: fall back, never fail recall
                log.warning("%s: template override failed (%s: %s); using the packaged template",
                            self._override_path(name), type(exc).__name__, exc)
        return self.package_template(name).render(**data).strip()

    def _disable(self, name: str, template: jinja2.Template) -> None:
        with self._lock:
            cached = self._overrides.get(name)
            if cached is not None and cached[1] is template:
                self._overrides[name] = (cached[0], None)

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
        try:  # a plain string and one lstat: this runs for every block of every recall
            st = os.lstat(self._override_prefix + name)
        except OSError:
            return None
        key = (st.st_mtime_ns, st.st_size, st.st_ino)
        cached = self._overrides.get(name)
        if cached is not None and cached[0] == key:
            return cached[1]
        path = self._override_path(name)
        template: jinja2.Template | None
        try:
            source = self._read_override(path, st)
            template = self._sandbox.from_string(source)
            template.filename = str(path)
        except jinja2.TemplateSyntaxError as exc:
            log.warning("%s:%s: template syntax error (%s); using the packaged template", path, exc.lineno, exc.message)
            template = None
        except (OSError, UnicodeDecodeError, SecurityError) as exc:
            log.warning("%s: cannot use template override (%s); using the packaged template", path, exc)
            template = None
        with self._lock:
            self._overrides[name] = (key, template)
        return template


    def _read_override(self, path: Path, st: os.stat_result) -> str:
        """The override's text, refusing symlinks and anything outside the repository's own folder."""
        assert self.override_dir is not None and self.root is not None
        if stat.S_ISLNK(st.st_mode):
            raise SecurityError(f"{path} is a symlink; template overrides must be regular files in the repository")
        if not stat.S_ISREG(st.st_mode):
            raise SecurityError(f"{path} is not a regular file")
        if os.path.islink(self.override_dir) or not _inside(self.override_dir, self.root):
            raise SecurityError(f"{self.override_dir} is a symlink or lies outside the repository")
        if st.st_size > self.limits.max_output:
            raise SecurityError(f"{path} is {st.st_size} bytes (the limit is {self.limits.max_output})")
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        with os.fdopen(fd, "rb") as handle:
            return handle.read().decode("utf-8")


def _inside(path: Path, root: Path) -> bool:
    try:
        return path.resolve().is_relative_to(root.resolve())
    except OSError:
        return False


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
