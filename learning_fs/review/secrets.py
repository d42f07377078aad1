"""Secrets and personal data in memory files: a small, tested rule set (no detector dependency).

Why rules of our own: the well-kept detectors (detect-secrets, gitleaks) are either heavy or not
Python packages, and memories are short prose where a handful of precise patterns — the ones
providers publish for their own keys — catch what matters with few false alarms. Secrets are
looked for in every file (a private memory must not hold a live key either); e-mail addresses
and phone numbers only in shared namespaces, where every user's agent would recall them.

A line containing ``pragma: allowlist secret`` (the detect-secrets convention) is skipped.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
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
    Rule("slack-webhook", "a Slack webhook URL",
         re.compile(r"hooks\.slack\.com/(?:services|workflows|triggers)/T[A-Z0-9]{6,}/[A-Za-z0-9]{6,}/[A-Za-z0-9]{12,}")),
    Rule("stripe-key", "a Stripe key", re.compile(r"\b[rs]k_(?:live|test)_[A-Za-z0-9]{16,}\b")),
    Rule("google-api-key", "a Google API key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b")),
    Rule("npm-token", "an npm token", re.compile(r"\bnpm_[A-Za-z0-9]{36}\b")),
    Rule("sendgrid-key", "a SendGrid key", re.compile(r"\bSG\.[A-Za-z0-9_-]{20,24}\.[A-Za-z0-9_-]{39,50}\b")),
    # OpenAI (sk-..., sk-proj-...), Anthropic (sk-ant-...) and the many services that copied the shape.
    # The key part is random, so it carries digits: "sk-learn_pipeline_..." is a word, not a key.
    Rule("api-key", "an API key (sk-…)",
         re.compile(r"(?<![A-Za-z0-9])sk-(?:[A-Za-z0-9]+-)*(?=[A-Za-z0-9_-]{0,200}\d[A-Za-z0-9_-]{0,200}\d)"
                    r"[A-Za-z0-9_-]{20,}")),
    Rule("jwt", "a JSON Web Token", re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")),
    Rule("bearer-token", "a bearer token", re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/-]{20,}=*")),
    Rule("url-credentials", "a password in a URL",
         re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s/:@'\"]+:[^\s/@'\"]{3,}@[^\s/'\"]+")),
    Rule("password-assignment", "a password",
         re.compile(r"(?i)\b(?:password|passwd|pwd|secret|api_?key|access_?token)\s*[:=]\s*['\"][^'\"\s]{8,}['\"]")),
)
#: A password written without quotes ("password: Tr0ub4dor&3", "the wifi password is BlueFrog#42"):
#: the value must look chosen (a letter and a digit or symbol), not be a word or a placeholder.
PASSWORD_PROSE = Rule("password", "a password", re.compile(
    r"(?i)\b(?:password|passwd|passphrase|pwd|passcode)\b(?:\s*[:=]\s*|\s+(?:is|was)\s+|\s+)"
    r"(?P<value>[^\s'\"<>${}*]{6,})"))
#: An unlabelled AWS secret access key: 40 characters of base64 with upper, lower case and digits.
AWS_SECRET_BARE = Rule("aws-secret-key", "an AWS secret access key",
                       re.compile(r"(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])"))
#: Characters that render as nothing: a key split by one of them is still a key.
INVISIBLE = re.compile("[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")

EMAIL = Rule("email", "an e-mail address",
             re.compile(r"(?<![\w.+-])[A-Za-z0-9._%+-]+@(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,}\b"))
PHONE = Rule("phone", "a phone number",
             re.compile(r"(?<![\w+/.-])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{1,4}\)[\s.-]?)?\d{2,8}(?:[\s.-]\d{2,8}){1,4}(?![\w/-]|\.\d)"))
#: Addresses reserved for documentation (RFC 2606 / 6761): examples, not people.
EXAMPLE_DOMAINS = re.compile(r"@(?:[\w-]+\.)*(?:example\.(?:com|org|net)|localhost|[\w-]+\.(?:test|invalid|example))$",
                             re.IGNORECASE)
_DATE_PREFIX = re.compile(r"^\d{4}[-./]\d{1,2}[-./]\d{1,2}\b")


IBAN = Rule("iban", "a bank account number (IBAN)",
            re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b"))
CARD = Rule("card-number", "a payment card number", re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])"))
#: Ten or eleven digits in a row are a phone number only when the sentence says so.
PHONE_BARE = re.compile(r"(?<![\w+/.-])1?[2-9]\d{9}(?![\w/-]|\.\d)")
_PHONE_WORDS = re.compile(r"(?i)\b(?:call|phone|tel|telephone|mobile|cell|text|sms|reach|whatsapp|fax|dial|ring)\b"
                          r"[^\d]{0,25}$")
#: Words that make a run of digits an identifier, not a phone number ("Order 0049-1234-5678").
_ID_WORDS = re.compile(r"(?i)\b(?:order|invoice|sku|serial|part|ticket|ref|reference|id|no|nr|number|case|"
                       r"tracking|batch|build|isbn|ean)\b\W{0,3}$")
_UNIT_AFTER = re.compile(r"^\s?(?:ms|s|sec|min|h|kb|mb|gb|%|x|px|fps|rows|items|times)\b", re.IGNORECASE)
_PRAGMA = re.compile(r"pragma: allowlist ([\w-]+)")
ALL_RULES: tuple[Rule, ...] = (*SECRET_RULES, PASSWORD_PROSE, AWS_SECRET_BARE, EMAIL, PHONE, IBAN, CARD)
"""Every rule, for documentation and for the names ``pragma: allowlist <rule>`` accepts."""


@dataclass(frozen=True)
class Hit:
    """A rule that matched on a line (1-based)."""

    line: int
    rule: Rule


def _looks_like_phone(text: str, before: str = "", after: str = "") -> bool:
    """Whether a run of digit groups is written the way people write phone numbers.

    Numbers in prose are mostly dates, times, versions, addresses, amounts, ports and ids; a phone
    number announces itself by an international prefix (``+49 …``), an area code in
    parentheses, a national trunk ``0`` (``030 1234567``), dashes or dots between three or
    more groups (``555-123-4567``) or the North American 3-3-4 shape (``415 555 0132``), and has
    9 to 15 digits. ``before``/``after`` are the text around it: an id word in front ("Order",
    "SKU") or a unit behind ("ms") says it is not one.
    """
    stripped = text.strip()
    digits = sum(ch.isdigit() for ch in stripped)
    if not 9 <= digits <= 15 or _DATE_PREFIX.match(stripped) or _ID_WORDS.search(before) or _UNIT_AFTER.match(after):
        return False
    if stripped.startswith(("+", "(")):
        return True
    groups = re.split(r"[\s.-]", stripped)
    separators = set(re.findall(r"[\s.-]", stripped))
    if len(groups) >= 4 and all(len(g) <= 2 for g in groups):
        return False  # 10-20-30-40-50: a series, not a number
    if groups[0].startswith("0") and separators <= {" ", "-"}:
        return True
    if [len(g) for g in groups] == [3, 3, 4] and groups[0][0] in "23456789":
        return True
    if len(groups) < 3 or len(separators) != 1 or separators == {" "}:
        return False  # 8080 8443 9090, 120 000 000: ports and amounts
    return not (separators == {"."} and all(len(g) <= 3 for g in groups))  # not 192.168.100.200


def _luhn(number: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def _looks_like_card(text: str) -> bool:
    """A card number: the issuers' prefixes and lengths, and the Luhn check digit."""
    number = re.sub(r"[ -]", "", text)
    if len(number) == 15:
        return number.startswith(("34", "37")) and _luhn(number)
    if len(number) != 16:
        return False
    issuer = (number[0] == "4" or 51 <= int(number[:2]) <= 55 or 2221 <= int(number[:4]) <= 2720
              or number.startswith(("6011", "65", "35")))
    return issuer and _luhn(number)


def _looks_like_iban(text: str) -> bool:
    """An IBAN: 15 to 34 characters whose ISO 13616 check (mod 97) holds."""
    raw = text.replace(" ", "")
    if not 15 <= len(raw) <= 34:
        return False
    numeric = "".join(str(int(ch, 36)) for ch in raw[4:] + raw[:4])
    return int(numeric) % 97 == 1


def _entropy(text: str) -> float:
    counts: dict[str, int] = {}
    for ch in text:
        counts[ch] = counts.get(ch, 0) + 1
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


def _looks_like_aws_secret(text: str) -> bool:
    """40 random base64 characters: mixed case and digits, few slashes, high entropy (not a path or a word)."""
    return (any(c.isupper() for c in text) and any(c.islower() for c in text) and sum(c.isdigit() for c in text) >= 2
            and text.count("/") + text.count("+") <= 4 and _entropy(text) >= 4.0)


def _looks_like_password(value: str) -> bool:
    """A chosen password has a letter and a digit or symbol; words and placeholders do not."""
    value = value.rstrip(".,;:!?)")
    return (len(value) >= 6 and any(c.isalpha() for c in value)
            and any(c.isdigit() or not c.isalnum() for c in value) and "://" not in value)


def _lines(text: str) -> Iterator[tuple[int, str, frozenset[str]]]:
    """Numbered lines with invisible characters removed, and the rules each line allow-lists."""
    for number, line in enumerate(text.split("\n"), start=1):
        allowed = frozenset(_PRAGMA.findall(line))
        yield number, INVISIBLE.sub("", line), allowed


def _allowed(rule: Rule, allowed: frozenset[str]) -> bool:
    return "secret" in allowed or rule.name in allowed


def scan_secrets(text: str) -> list[Hit]:
    """Every line that holds something shaped like a credential (one hit per rule and line).

    A line marked ``pragma: allowlist secret`` (the detect-secrets convention) is skipped, and
    ``pragma: allowlist <rule>`` skips that rule only.
    """
    hits: list[Hit] = []
    for number, line, allowed in _lines(text):
        found = [rule for rule in SECRET_RULES if rule.pattern.search(line)]
        names = {rule.name for rule in found}
        if "password-assignment" not in names and "url-credentials" not in names and any(
                _looks_like_password(m.group("value")) for m in PASSWORD_PROSE.pattern.finditer(line)):
            found.append(PASSWORD_PROSE)
        if "aws-secret-key" not in names and any(
                _looks_like_aws_secret(m.group(0)) for m in AWS_SECRET_BARE.pattern.finditer(line)):
            found.append(AWS_SECRET_BARE)
        hits.extend(Hit(number, rule) for rule in found if not _allowed(rule, allowed))
    return hits


def scan_personal_data(text: str) -> list[Hit]:
    """Lines with an e-mail address (not a documentation domain), a phone, an IBAN or a card number."""
    hits: list[Hit] = []
    for number, line, allowed in _lines(text):
        found: list[Rule] = []
        if any(not EXAMPLE_DOMAINS.search(m.group(0)) for m in EMAIL.pattern.finditer(line)):
            found.append(EMAIL)
        if any(_looks_like_phone(m.group(0), line[:m.start()], line[m.end():]) for m in PHONE.pattern.finditer(line)) \
                or any(_PHONE_WORDS.search(line[:m.start()]) for m in PHONE_BARE.finditer(line)):
            found.append(PHONE)
        if any(_looks_like_iban(m.group(0)) for m in IBAN.pattern.finditer(line)):
            found.append(IBAN)
        if any(_looks_like_card(m.group(0)) for m in CARD.pattern.finditer(line)):
            found.append(CARD)
        hits.extend(Hit(number, rule) for rule in found if not _allowed(rule, allowed))
    return hits
