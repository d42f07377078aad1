"""What ``check`` reports: :class:`Finding` (one problem, at a file and line) and :class:`CheckReport`.

A finding extends the ``file:line: message`` of ``learning-fs validate`` (:class:`~learning_fs.ops.Problem`)
with the check that produced it and, for duplicates, the other file and the similarity: a
reviewer sees the pair and the evidence, and decides.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from learning_fs.ops.validate import Problem

Severity = Literal["error", "warning"]
CHECKS = ("schema", "namespace", "duplicates", "secrets", "pii")


@dataclass(frozen=True)
class Finding:
    """One problem: which check, where (repository-relative path, 1-based line), what, how bad."""

    check: str
    path: str
    line: int
    message: str
    severity: Severity = "error"
    related_path: str | None = None  # the other file of a duplicate pair
    related_line: int | None = None
    similarity: float | None = None  # cosine similarity of a duplicate pair (1.0: exact)

    @classmethod
    def from_problem(cls, check: str, problem: Problem) -> Finding:
        return cls(check, problem.path, problem.line, problem.message, problem.severity)

    def __str__(self) -> str:
        prefix = "" if self.severity == "error" else "warning: "
        return f"{self.path}:{self.line}: {prefix}{self.message} [{self.check}]"

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"check": self.check, "path": self.path, "line": self.line,
                                "message": self.message, "severity": self.severity}
        if self.related_path is not None:
            data["related"] = {"path": self.related_path, "line": self.related_line}
        if self.similarity is not None:
            data["similarity"] = round(self.similarity, 4)
        return data


@dataclass
class CheckReport:
    """Everything one ``check`` run found, and what it looked at."""

    findings: list[Finding] = field(default_factory=list)
    files: int = 0  # files checked (the changed ones with --base, else all)
    compared: int = 0  # existing entries the changed ones were compared with
    notes: list[str] = field(default_factory=list)  # how the run went (cache hits, a word prefilter)
    seconds: float = 0.0

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]

    @property
    def ok(self) -> bool:
        """No errors (warnings do not fail a check)."""
        return not self.errors

    def sort(self) -> None:
        self.findings.sort(key=lambda f: (f.path, f.line, CHECKS.index(f.check) if f.check in CHECKS else 99,
                                          f.message))

    def summary(self) -> str:
        return (f"{self.files} file(s) checked: {len(self.errors)} error(s), {len(self.warnings)} warning(s)"
                f" in {self.seconds:.1f} s")

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "files": self.files, "compared": self.compared, "errors": len(self.errors),
                "warnings": len(self.warnings), "seconds": round(self.seconds, 3), "notes": list(self.notes),
                "findings": [f.to_dict() for f in self.findings]}
