"""Secrets and personal data in memory files: a small, tested rule set (no detector dependency).

Why rules of our own: the well-kept detectors (detect-secrets, gitleaks) are either heavy or not
Python packages, and memories are short prose where a handful of precise patterns — the ones
providers publish for their own keys — catch what matters with few false alarms. Secrets are
looked for in every file (a private memory must not hold a live key either); e-mail addresses
and phone numbers only in shared namespaces, where every user's agent would recall them.

A line containing ``pragma: allowlist secret`` (the detect-secrets convention) is skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ALLOW_PRAGMA = "pragma: allowlist secret"


@dataclass(frozen=True)
class Rule:
    """A named pattern; ``what`` is shown to the person (never the secret itself)."""

    name: str
    what: str
    pattern: re.Pattern[str]


SECRET_RULES: tuple[Rule, ...] = (
    Rule("private-key", "a private key block",
         re.compile(r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |PGP |ENCRYPTED )?PRIVATE KEY(?: BLOCK)?-----")),
    Rule("aws-access-key", "an AWS access key id", re.compile(r"\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b")),
    Rule("aws-secret-key", "an AWS secret access key",
         re.compile(r"(?i)aws_?secret_?access_?key\W{0,4}[:=]\s*['\"]?[A-Za-z0-9/+=]{40}\b")),
    Rule("github-token", "a GitHub token",
         re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})\b")),
    Rule("gitlab-token", "a GitLab token", re.compile(r"\bglpat-[A-Za-z0-9_-]{20,}\b")),
    Rule("slack-token", "a Slack token", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}\b")),
    Rule("stripe-key", "a Stripe key", re.compile(r"\b[rs]k_(?:live|test)_[A-Za-z0-9]{16,}\b")),
    Rule("google-api-key", "a Google API key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b")),
    # OpenAI (sk-..., sk-proj-...), Anthropic (sk-ant-...) and the many services that copied the shape.
    Rule("api-key", "an API key (sk-…)", re.compile(r"(?<![A-Za-z0-9])sk-(?:[A-Za-z0-9]+-)*[A-Za-z0-9_]{20,}")),
    Rule("jwt", "a JSON Web Token", re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")),
    Rule("bearer-token", "a bearer token", re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/-]{20,}=*")),
    Rule("url-credentials", "a password in a URL",
         re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s/:@'\"]+:[^\s/@'\"]{3,}@[^\s/'\"]+")),
    Rule("password-assignment", "a password",
         re.compile(r"(?i)\b(?:password|passwd|pwd|secret|api_?key|access_?token)\s*[:=]\s*['\"][^'\"\s]{8,}['\"]")),
)

EMAIL = Rule("email", "an e-mail address",
             re.compile(r"(?<![\w.+-])[A-Za-z0-9._%+-]+@(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,}\b"))
PHONE = Rule("phone", "a phone number",
             re.compile(r"(?<![\w+/.-])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{1,4}\)[\s.-]?)?\d{2,8}(?:[\s.-]\d{2,8}){1,4}(?![\w/-]|\.\d)"))
#: Addresses reserved for documentation (RFC 2606 / 6761): examples, not people.
EXAMPLE_DOMAINS = re.compile(r"@(?:[\w-]+\.)*(?:example\.(?:com|org|net)|localhost|[\w-]+\.(?:test|invalid|example))$",
                             re.IGNORECASE)
_DATE_PREFIX = re.compile(r"^\d{4}[-./]\d{1,2}[-./]\d{1,2}\b")


@dataclass(frozen=True)
class Hit:
    """A rule that matched on a line (1-based)."""

    line: int
    rule: Rule


def _looks_like_phone(text: str) -> bool:
    """Whether a run of digit groups is written the way people write phone numbers.

    Numbers in prose are mostly dates, times, versions, addresses, amounts and ports; a phone
    number announces itself by an international prefix (``+49 …``), an area code in
    parentheses, a national trunk ``0`` (``030 1234567``) or dashes or dots between three or
    more groups (``555-123-4567``), and has 9 to 15 digits.
    """
    stripped = text.strip()
    digits = sum(ch.isdigit() for ch in stripped)
    if not 9 <= digits <= 15 or _DATE_PREFIX.match(stripped):
        return False
    if stripped.startswith(("+", "(")):
        return True
    groups = re.split(r"[\s.-]", stripped)
    separators = set(re.findall(r"[\s.-]", stripped))
    if groups[0].startswith("0") and separators <= {" ", "-"}:
        return True
    if len(groups) < 3 or len(separators) != 1 or separators == {" "}:
        return False  # 8080 8443 9090, 120 000 000: ports and amounts
    return not (separators == {"."} and all(len(g) <= 3 for g in groups))  # not 192.168.100.200


def scan_secrets(text: str) -> list[Hit]:
    """Every line that holds something shaped like a credential (one hit per rule and line)."""
    hits: list[Hit] = []
    for number, line in enumerate(text.split("\n"), start=1):
        if ALLOW_PRAGMA in line:
            continue
        hits.extend(Hit(number, rule) for rule in SECRET_RULES if rule.pattern.search(line))
    return hits


def scan_personal_data(text: str) -> list[Hit]:
    """Lines with an e-mail address (not a documentation domain) or a phone number."""
    hits = []
    for number, line in enumerate(text.split("\n"), start=1):
        if ALLOW_PRAGMA in line:
            continue
        if any(not EXAMPLE_DOMAINS.search(m.group(0)) for m in EMAIL.pattern.finditer(line)):
            hits.append(Hit(number, EMAIL))
        if any(_looks_like_phone(m.group(0)) for m in PHONE.pattern.finditer(line)):
            hits.append(Hit(number, PHONE))
    return hits
