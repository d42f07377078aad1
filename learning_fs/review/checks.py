"""``check``: the CI gate of a memory repository — schema, namespaces, duplicates, secrets, personal data.

One pass over the files to check (the changed ones with a base, else all): each is parsed and
checked on its own (the rules of ``learning-fs validate``, the namespace rules, the secret and
personal-data patterns), then the new entries are compared with everything already remembered
(:mod:`learning_fs.review.duplicates`). A finding names file and line so an editor, a terminal
or a pull request's diff can point at it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from learning_fs.errors import RecordParseError
from learning_fs.format.layout import is_private_path
from learning_fs.format.records import Record
from learning_fs.index.embeddings import Embedder
from learning_fs.ops.validate import Problem, check_file
from learning_fs.repo import MemoryRepo
from learning_fs.repo.config import CONFIG_FILE, RepoConfig
from learning_fs.review.duplicates import DuplicateCheck
from learning_fs.review.findings import CheckReport, Finding
from learning_fs.review.secrets import scan_personal_data, scan_secrets
from learning_fs.review.settings import CheckSettings, check_settings
from learning_fs.review.source import CheckTarget, commit_target, worktree_target
from learning_fs.review.vectors import CheckCache

log = logging.getLogger(__name__)

CACHE_DIR = "check"  # under .learning_fs/
#: Messages of ``ops.validate`` that are about where a record lives for whom: the namespace rules.
_NAMESPACE_RULES = ("inside users/", "outside users/", "belongs in ", "belongs to user", "whose folder is")


def shared_embedder() -> Embedder:
    """The offline embedder the search index uses, loaded once per process (~0.5 s) on first need."""
    from learning_fs.index.service import shared_embedder as index_embedder

    return index_embedder()


def check(repo: MemoryRepo, *, base: str | None = None, paths: list[str] | None = None,
          embedder: Embedder | None = None, cache: bool = True) -> CheckReport:
    """Check the working tree: all files, those changed since ``base``, or exactly ``paths``."""
    return run_checks(repo, worktree_target(repo, base, paths), embedder=embedder, cache=cache)


def check_commit(repo: MemoryRepo, commit: str, base: str, *, embedder: Embedder | None = None) -> CheckReport:
    """Check what ``commit`` changed since ``base`` (a proposal against its merge base), as committed."""
    return run_checks(repo, commit_target(repo, commit, base), embedder=embedder)


def run_checks(repo: MemoryRepo, target: CheckTarget, *, embedder: Embedder | None = None,
               cache: bool = True) -> CheckReport:
    began = time.perf_counter()
    report = CheckReport()
    settings = _settings(repo, target, report)
    paths = target.paths_to_check()
    report.files = len(paths) + (1 if target.config_changed() and target.read(CONFIG_FILE) is not None else 0)
    records: dict[str, Record] = {}
    ids: dict[str, str] = {}
    limit = repo.config.limits.max_record_bytes
    for path in paths:
        data = target.read(path) or b""
        if len(data) > limit:  # a 50 MB file made check take minutes: report it, check the rest
            report.findings.append(Finding("schema", path, 1, f"{len(data):,} bytes, over the {limit:,}-byte limit "
                                           "(limits.max_record_bytes): not checked; split or shorten the file"))
            continue
        record = _check_one(path, data, settings, report)
        if record is None:
            continue
        records[path] = record
        if record.id in ids:
            report.findings.append(Finding("schema", path, _line_of(target.read(path), "id:"),
                                           f"id {record.id} is also used by {ids[record.id]}"))
        else:
            ids[record.id] = path
    store = CheckCache(repo.derived_dir / CACHE_DIR) if cache else None
    try:
        factory: Callable[[], Embedder] = (lambda: embedder) if embedder is not None else shared_embedder
        name = embedder.name if embedder is not None else _default_name()
        duplicates = DuplicateCheck(target, settings.duplicates, store, factory, name)
        report.findings += duplicates.run(paths, records)
        report.compared = duplicates.compared
        report.notes += duplicates.notes
    finally:
        if store is not None:
            store.close()
    report.sort()
    report.seconds = time.perf_counter() - began
    return report


def _settings(repo: MemoryRepo, target: CheckTarget, report: CheckReport) -> CheckSettings:
    """The repository's check settings as of the checked state (a pull request may change them)."""
    data = target.read(CONFIG_FILE)
    if data is None:
        return CheckSettings()
    try:
        import yaml

        config = RepoConfig.model_validate(yaml.safe_load(data.decode("utf-8", "replace")) or {})
        return check_settings(config)
    except RecordParseError as exc:
        report.findings.append(Finding("schema", CONFIG_FILE, exc.line or 1, exc.message))
    except Exception as exc:  # YAML or validation error: report it, check the rest with defaults
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        report.findings.append(Finding("schema", CONFIG_FILE, line, f"invalid settings: {str(exc).splitlines()[0]}"))
    return CheckSettings()


def _check_one(path: str, data: bytes, settings: CheckSettings, report: CheckReport) -> Record | None:
    """Schema, namespace, secret and personal-data findings of one file; its record when it parses."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        report.findings.append(Finding("schema", path, 1, f"not UTF-8 text ({exc.reason})"))
        return None
    record, problems = check_file(path, text)
    report.findings += [Finding.from_problem(_rule_of(problem), problem) for problem in problems]
    if settings.secrets != "off":
        for hit in scan_secrets(text):
            report.findings.append(Finding("secrets", path, hit.line, f"{hit.rule.what} ({hit.rule.name}): remove it, "
                                           "rotate the credential, and keep secrets out of memories",
                                           settings.secrets))
    if settings.pii != "off" and not is_private_path(path):
        for hit in scan_personal_data(text):
            report.findings.append(Finding("pii", path, hit.line, f"{hit.rule.what} in a shared namespace: every "
                                           "user's agent can recall it; keep it in the user's private memory",
                                           settings.pii))
    return record


def _rule_of(problem: Problem) -> str:
    return "namespace" if any(marker in problem.message for marker in _NAMESPACE_RULES) else "schema"


def _line_of(data: bytes | None, prefix: str) -> int:
    for number, line in enumerate((data or b"").decode("utf-8", "replace").split("\n"), start=1):
        if line.startswith(prefix):
            return number
    return 1


def _default_name() -> str:
    from learning_fs.index.minilm import MODEL_NAME

    return MODEL_NAME
