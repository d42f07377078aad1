"""The secret and personal-data rules: what they catch, and the everyday text they must leave alone."""

from __future__ import annotations

import pytest

from learning_fs.review.secrets import scan_personal_data, scan_secrets

SECRETS = {
    "OpenAI key": ("api-key", "Use sk-proj-Ab3dE6gH9jK2mN5pQ8sT1vW4yZ7b for the batch job."),
    "Anthropic key": ("api-key", "ANTHROPIC_API_KEY=sk-ant-api03-abcdefghijklmnopqrstuvwxyz012345"),
    "GitHub token": ("github-token", "token: ghp_" + "A1b2C3d4E5" * 4),
    "fine-grained GitHub token": ("github-token", "github_pat_11ABCDEFG0123456789_abcdefghijklmnop"),
    "AWS access key id": ("aws-access-key", "aws_access_key_id = AKIAIOSFODNN7EXAMPLE"),
    "AWS secret key": ("aws-secret-key", "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
    "private key": ("private-key", "-----BEGIN RSA PRIVATE KEY-----"),
    "OpenSSH private key": ("private-key", "-----BEGIN OPENSSH PRIVATE KEY-----"),
    "bearer token": ("bearer-token", "curl -H 'Authorization: Bearer eyJhbGciOiJIUzI1NiJ9abcdefghij'"),
    "Slack token": ("slack-token", "SLACK_TOKEN=xoxb-1234567890-abcdefghij"),
    "Stripe key": ("stripe-key", "Stripe: sk_live_4eC39HqLyjWDarjtT1zdp7dc"),
    "Google key": ("google-api-key", "maps key AIzaSyA-1234567890abcdefghijklmnopqrstu"),
    "password in a URL": ("url-credentials", "DATABASE_URL=postgres://app:hunter22@db.internal:5432/app"),
    "password assignment": ("password-assignment", 'password = "correct-horse-battery"'),
    "JWT": ("jwt", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"),
}
HARMLESS = [
    "Use the scikit-learn (sk-learn) pipeline for this.",
    "id: lrn-0a1b2c3d4e", "created: '2026-10-01T09:00:00Z'",
    "commit 0123456789abcdef0123456789abcdef01234567",
    "Ask for a bearer token in the Authorization header.",
    "Set password_min_length = 12 in the policy.",
    "Clone https://github.com/acme/tools.git and run make.",
    "The task-based skills matrix lives in the wiki.",
]
PERSONAL = {
    "e-mail": ("email", "Write to dana.smith@acme.io about it."),
    "international phone": ("phone", "Call +49 30 1234567 for the on-call engineer."),
    "US phone": ("phone", "Their office: (555) 123-4567."),
    "dashed phone": ("phone", "phone 555-123-4567"),
    "national phone": ("phone", "Festnetz 030 12345678"),
}
NOT_PERSONAL = [
    "Use someone@example.com in examples.", "noreply@localhost", "Released on 2026-10-01.",
    "Upgrade from 1.2.3 to 1.2.4.", "It took 10:30 minutes.", "Server 10.0.12.255 and 192.168.100.200.",
    "Revenue grew to 120 000 000 EUR.", "Open ports 8080 8443 9090.", "Order 12345678901 shipped.",
    "ISBN 978-3-16-148410-0", "Between 2019 and 2024.", "ran 1000 2000 3000 rows",
]


@pytest.mark.parametrize("name", list(SECRETS))
def test_each_secret_rule_catches_its_kind(name: str) -> None:
    rule, line = SECRETS[name]
    assert rule in [hit.rule.name for hit in scan_secrets(f"intro\n{line}\n")]
    assert {hit.line for hit in scan_secrets(f"intro\n{line}\n")} == {2}


@pytest.mark.parametrize("line", HARMLESS)
def test_everyday_text_is_not_a_secret(line: str) -> None:
    assert scan_secrets(line) == []


def test_the_allowlist_pragma_skips_a_line() -> None:
    assert scan_secrets("example key sk-proj-Ab3dE6gH9jK2mN5pQ8sT1vW4yZ7b  # pragma: allowlist secret") == []


@pytest.mark.parametrize("name", list(PERSONAL))
def test_personal_data_is_found(name: str) -> None:
    rule, line = PERSONAL[name]
    assert [hit.rule.name for hit in scan_personal_data(line)] == [rule]


@pytest.mark.parametrize("line", NOT_PERSONAL)
def test_dates_versions_amounts_and_example_addresses_are_not_personal_data(line: str) -> None:
    assert scan_personal_data(line) == []
