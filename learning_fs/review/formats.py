"""Print a :class:`CheckReport` for a person (text), for GitHub Actions (annotations) or for tools (JSON).

``--format github`` prints workflow commands (``::error file=…,line=…::message``) that GitHub
turns into annotations on the pull request's diff, next to the offending line. Values are
escaped the way the runner expects, so a message with a colon, a comma or a newline stays one
annotation.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from learning_fs.review.findings import CheckReport, Finding

FORMATS = ("text", "github", "json")


def _related(finding: Finding) -> str:
    if finding.related_path is None:
        return ""
    where = f"{finding.related_path}:{finding.related_line}" if finding.related_line else finding.related_path
    return f" — see {where}"


def format_text(report: CheckReport) -> str:
    """``path:line: [warning: ]message [check]`` per finding, then notes and a summary line."""
    lines = []
    for finding in report.findings:
        prefix = "" if finding.severity == "error" else "warning: "
        lines.append(f"{finding.path}:{finding.line}: {prefix}{finding.message}{_related(finding)} [{finding.check}]")
    lines += [f"note: {note}" for note in report.notes]
    lines.append(report.summary())
    return "\n".join(lines)


def _escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(value: str) -> str:
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")


def format_github(report: CheckReport) -> str:
    """One workflow command per finding (``::error`` / ``::warning``) and a ``::notice`` summary."""
    lines = []
    for finding in report.findings:
        properties = ",".join([
            f"file={_escape_property(finding.path)}",
            f"line={finding.line}",
            f"title={_escape_property('learning-fs check: ' + finding.check)}",
        ])
        lines.append(f"::{finding.severity} {properties}::{_escape_data(finding.message + _related(finding))}")
    for note in report.notes:
        lines.append(f"::notice::{_escape_data(note)}")
    lines.append(f"::notice title=learning-fs check::{_escape_data(report.summary())}")
    return "\n".join(lines)


def format_json(report: CheckReport) -> str:
    return json.dumps(report.to_dict(), indent=2, ensure_ascii=False)


FORMATTERS: dict[str, Callable[[CheckReport], str]] = {
    "text": format_text, "github": format_github, "json": format_json,
}


def format_markdown(report: CheckReport) -> str:
    """The check results as Markdown (the body of a pull request opened for a proposal)."""
    if not report.findings:
        return f"No problems found ({report.summary()})."
    rows = ["| | file | line | check | finding |", "|---|---|---|---|---|"]
    for finding in report.findings:
        mark = "error" if finding.severity == "error" else "warning"
        message = (finding.message + _related(finding)).replace("|", "\\|").replace("\n", " ")
        rows.append(f"| {mark} | `{finding.path}` | {finding.line} | {finding.check} | {message} |")
    return "\n".join([*rows, "", report.summary()])
