"""Writes secrets_corpus.jsonl: labelled lines for the `check` secret and personal-data rules.

Run once to regenerate (deterministic). Positives are fake credentials shaped like the real ones
(random characters, documented prefixes) and personal data of the kinds memories pick up; negatives
are the everyday technical text memories are full of. Each line: {"kind", "label", "text"}, label
"secret"/"personal" for positives, "normal" for negatives.
"""

from __future__ import annotations

import json
import random
import string
from pathlib import Path

rng = random.Random(20261207)
B62 = string.ascii_letters + string.digits
B64 = B62 + "/+"


def rand(n: int, alphabet: str = B62) -> str:
    while True:
        s = "".join(rng.choice(alphabet) for _ in range(n))
        wanted = [pred for pred in (str.isdigit, str.isupper, str.islower) if any(map(pred, alphabet))]
        if all(any(map(pred, s)) for pred in wanted):
            return s


def luhn_complete(prefix: str, length: int) -> str:
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            d -= 9 if d > 9 else 0
        total += d
    return body + str((10 - total % 10) % 10)


def iban(country: str, bban: str) -> str:
    numeric = "".join(str(int(c, 36)) for c in bban + country + "00")
    check = 98 - int(numeric) % 97
    raw = f"{country}{check:02d}{bban}"
    return " ".join(raw[i : i + 4] for i in range(0, len(raw), 4))


positives: list[tuple[str, str, str]] = []


def add(kind: str, label: str, *texts: str) -> None:
    positives.extend((kind, label, t) for t in texts)


add(
    "aws-access-key",
    "secret",
    *(
        f"{p} key id {pre}{rand(16, string.ascii_uppercase + string.digits)}"
        for p, pre in [
            ("the CI user's", "AKIA"),
            ("temporary", "ASIA"),
            ("deploy", "AKIA"),
            ("backup job", "AKIA"),
            ("the old", "AKIA"),
            ("staging", "ASIA"),
        ]
    ),
)
add(
    "aws-secret-key",
    "secret",
    *(f"aws_secret_access_key = {rand(40, B64)}" for _ in range(3)),
    *(
        f"{lead} {rand(40, B64)}"
        for lead in [
            "the secret for the backup bucket is",
            "secret:",
            "use",
            "S3 sync works with",
            "rotate",
            "AWS pair AKIA… /",
        ]
    ),
)
add(
    "github-token",
    "secret",
    *(f"{lead} ghp_{rand(36)}" for lead in ["token", "use", "PAT:", "GH_TOKEN="]),
    f"github_pat_11{rand(20, string.ascii_uppercase + string.digits)}_{rand(59)}",
    f"gho_{rand(36)} came from the OAuth app",
)
add(
    "gitlab-token",
    "secret",
    *(f"{lead} glpat-{rand(20)}" for lead in ["gitlab", "CI_TOKEN=", "runner uses", "token"]),
)
add(
    "slack-token",
    "secret",
    *(
        f"{lead} xox{t}-{rng.randint(10**9, 10**10)}-{rand(24)}"
        for lead, t in [("bot", "b"), ("user", "p"), ("app", "a"), ("legacy", "b")]
    ),
)
add(
    "slack-webhook",
    "secret",
    *(
        f"{lead} https://hooks.slack.com/services/T{rand(8, string.ascii_uppercase + string.digits)}/"
        f"B{rand(10, string.ascii_uppercase + string.digits)}/{rand(24)}"
        for lead in [
            "alerts go to",
            "webhook:",
            "post to",
            "the incident channel hook is",
            "SLACK_WEBHOOK_URL=",
        ]
    ),
)
add(
    "stripe-key",
    "secret",
    *(
        f"{lead} {k}_{m}_{rand(24)}"
        for lead, k, m in [
            ("Stripe", "sk", "live"),
            ("restricted", "rk", "live"),
            ("test", "sk", "test"),
            ("billing", "sk", "live"),
        ]
    ),
)
add(
    "google-api-key",
    "secret",
    *(f"{lead} AIza{rand(35, B62 + '_-')}" for lead in ["maps key", "Firebase:", "GOOGLE_API_KEY=", "use"]),
)
add(
    "openai-key",
    "secret",
    *(
        f"{lead} sk-proj-{rand(48, B62 + '_-')}"
        for lead in ["OPENAI_API_KEY=", "key", "use", "the batch job has"]
    ),
    f"sk-{rand(48)} is the old key",
)
add(
    "anthropic-key",
    "secret",
    *(f"{lead} sk-ant-api03-{rand(80, B62 + '_-')}" for lead in ["ANTHROPIC_API_KEY=", "claude key", "use"]),
)
add(
    "jwt",
    "secret",
    *(
        f"{lead} eyJ{rand(30, B62 + '_-')}.eyJ{rand(40, B62 + '_-')}.{rand(43, B62 + '_-')}"
        for lead in ["session", "token=", "cookie auth", "the admin JWT is"]
    ),
)
add(
    "bearer-token",
    "secret",
    *(f"{lead} Bearer {rand(32)}" for lead in ["Authorization:", "send", "header 'Authorization: ", "use"]),
)
add(
    "url-credentials",
    "secret",
    "DATABASE_URL=postgres://app:Hu9ter22x@db.internal:5432/app",
    "mysql://root:s3cr3tPass@10.0.0.5/prod",
    "redis://default:Xk29smQ@cache:6379",
    "clone https://deploy:ghs4Tx92kLm@git.acme.io/acme/ops.git",
    "amqp://guest:rabbitPw81@mq:5672",
)
add(
    "password",
    "secret",
    'password = "correct-horse-battery"',
    "password: Tr0ub4dor&3",
    "the wifi password is BlueFrog#42",
    "pwd=Winter2026!",
    "db password Sup3rS3cret",
    "PASSWORD=hunter2hunter2",
    "her VPN passphrase is Gr33n-Lantern-77",
    "passwd: x8Kq2mZp",
)
add(
    "private-key",
    "secret",
    "-----BEGIN RSA PRIVATE KEY-----",
    "-----BEGIN OPENSSH PRIVATE KEY-----",
    "-----BEGIN EC PRIVATE KEY-----",
    "-----BEGIN PRIVATE KEY-----",
    "-----BEGIN PGP PRIVATE KEY BLOCK-----",
)
add(
    "npm-token",
    "secret",
    *(f"{lead} npm_{rand(36)}" for lead in ["//registry/:_authToken=", "NPM_TOKEN=", "publish with"]),
)
add(
    "sendgrid-key",
    "secret",
    *(
        f"{lead} SG.{rand(22, B62 + '_-')}.{rand(43, B62 + '_-')}"
        for lead in ["SENDGRID_API_KEY=", "mail key", "use"]
    ),
)
add(
    "zero-width-split",
    "secret",
    f"token ghp_{rand(10)}\u200b{rand(26)}",
    f"OPENAI_API_KEY=sk-proj-{rand(20)}\u200c{rand(28)}",
    f"key AKIA{rand(8, string.ascii_uppercase)}\u200d{rand(8, string.ascii_uppercase + string.digits)}",
    f"stripe sk_live_{rand(12)}\u2060{rand(12)}",
)
add(
    "email",
    "personal",
    "Write to dana.smith@acme.io about it.",
    "her address is j.doe+work@gmail.com",
    "cc ops-lead@corp.co.uk",
    "personal mail: maria_lopez88@proton.me",
    "ping kwame@startup.dev",
)
add(
    "phone",
    "personal",
    "Call +49 30 1234567 for the on-call engineer.",
    "Their office: (555) 123-4567.",
    "phone 555-123-4567",
    "Festnetz 030 12345678",
    "mobile 415 555 0132",
    "call him at 4155550132",
    "text me on 212 555 0199",
    "cell: +1 646 555 0147",
    "whatsapp +44 7700 900123",
    "tel. 0151 23456789",
    "phone number 6465550147",
    "reach her at 555.867.5309",
)
add(
    "iban",
    "personal",
    *(
        f"{lead} {iban(c, b)}"
        for lead, c, b in [
            ("IBAN", "DE", "370400440532013000"),
            ("pay to", "GB", "NWBK60161331926819"),
            ("account", "FR", "20041010050500013M02606"),
            ("refund to", "NL", "ABNA0417164300"),
            ("IBAN:", "ES", "21000418450200051332"),
        ]
    ),
)
add(
    "card-number",
    "personal",
    *(
        f"{lead} {luhn_complete(p, n)}"
        for lead, p, n in [
            ("card", "4", 16),
            ("visa", "4", 16),
            ("Mastercard", "53", 16),
            ("amex", "37", 15),
            ("paid with", "6011", 16),
        ]
    ),
    "card 4111 1111 1111 1111 expires 09/28",
    "use 5555-5555-5555-4444 for the refund",
)

negatives = [
    "Use the scikit-learn (sk-learn) pipeline for this.",
    "sk-learn_pipeline_with_standard_scaler is the baseline",
    "p50 latency was 10-20-30-40-50 ms across the runs",
    "Order 0049-1234-5678 shipped on Monday",
    "id: lrn-0a1b2c3d4e",
    "created: '2026-10-01T09:00:00Z'",
    "commit 0123456789abcdef0123456789abcdef01234567",
    "Ask for a bearer token in the Authorization header.",
    "Set password_min_length = 12 in the policy.",
    "Clone https://github.com/acme/tools.git and run make.",
    "The task-based skills matrix lives in the wiki.",
    "Use someone@example.com in examples.",
    "noreply@localhost",
    "Released on 2026-10-01.",
    "Upgrade from 1.2.3 to 1.2.4.",
    "It took 10:30 minutes.",
    "Server 10.0.12.255 and 192.168.100.200.",
    "Revenue grew to 120 000 000 EUR.",
    "Open ports 8080 8443 9090.",
    "Order 12345678901 shipped.",
    "ISBN 978-3-16-148410-0",
    "Between 2019 and 2024.",
    "ran 1000 2000 3000 rows",
    "The password field is required on the signup form.",
    "password reset emails go out within a minute",
    "Rotate the AWS keys every 90 days.",
    "AKIA is the prefix of long-term access key ids",
    "Keys start with sk- and are 51 characters long.",
    "the secret sauce is caching",
    "pwd prints the working directory",
    "password: <redacted>",
    "password=${DB_PASSWORD}",
    "password: ********",
    "api_key: env(OPENAI_API_KEY)",
    "Bearer tokens expire after an hour.",
    "the JWT header is base64url encoded",
    "eyJ is what base64 JSON starts with",
    "docker pull python@sha256:" + "3f" * 32,
    "sha1 da39a3ee5e6b4b0d3255bfef95601890afd80709",
    "uuid 123e4567-e89b-12d3-a456-426614174000",
    "request id 7f9c2ba4-e88f-4ef0-8f4a-2c1d8b9e6a10",
    "timestamp 1700000000 is November 2023",
    "epoch ms 1733011200000",
    "the build number is 20261207",
    "ticket JIRA-12345 tracks it",
    "PR #4821 fixed the race",
    "issue 1234 5678 duplicates",
    "version 2026.12.1",
    "node v20.20.2 and npm 11.19.1",
    "Python 3.11.7",
    "CUDA 13.0.36424714",
    "port 5432 for Postgres",
    "localhost:8080/api/v1/users",
    "https://api.acme.io/v2/orders?page=3&limit=50",
    "s3://acme-backups/2026/12/07/",
    "/var/lib/postgresql/16/main/base/16384",
    "C:\\Users\\dana\\AppData\\Local",
    "~/.config/learning_fs/config.yaml",
    "#1e90ff is the accent colour",
    "rgba(30, 144, 255, 0.5)",
    "font-size: 14px; line-height: 1.5",
    "regex ^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+$",
    "glob **/*.md",
    "semver ^1.2.0 || ~2.3.4",
    "matrix 3x3 determinant is 0",
    "pi is 3.14159265358979",
    "speed of light 299 792 458 m/s",
    "population 8 100 000 000",
    "1 234 567 rows scanned",
    "GPU has 80 GB HBM3",
    "costs $1,234,567.89",
    "ZIP code 94103",
    "area 51",
    "latitude 52.5200, longitude 13.4050",
    "EAN 4006381333931",
    "ISBN-13 9780306406157",
    "DOI 10.1000/182",
    "arXiv 2410.10813",
    "RFC 7519 defines JWTs",
    "ISO 8601 2026-12-07T22:42:29Z",
    "cron 0 */6 * * *",
    "chmod 0644 file",
    "umask 022",
    "HTTP 429 means back off",
    "error code 0x80070005",
    "exit status 137 means OOM kill",
    "mac address 00:1A:2B:3C:4D:5E",
    "IPv6 2001:db8::ff00:42:8329",
    "subnet 10.0.0.0/16",
    "VLAN 100 200 300",
    "bitrate 320 kbps",
    "1080p at 60 fps",
    "resolution 3840 x 2160",
    "takes 2-3 business days",
    "run 5-10-15 minute intervals",
    "scores 90-85-77-60 this term",
    "phases 1-2-3-4",
    "the AbstractSingletonProxyFactoryBean pattern",
    "useCallbackWithDependencies hook in React",
    "getElementsByClassName returns a live HTMLCollection",
    "ThisIsAVeryLongCamelCaseIdentifierName",
    "base64 of hello is aGVsbG8=",
    "hash c4ca4238a0b923820dcc509a6f75849b",
    "md5 of nothing d41d8cd98f00b204e9800998ecf8427e",
    "nonce n-0S6_WzA2Mj",
    "trace id 4bf92f3577b34da6a3ce929d0e0e4736",
    "span 00f067aa0ba902b7",
    "k8s pod api-7d9f8c6b5-xk2lp crashed",
    "deployment web-5c7b9d-2x4",
    "helm chart v3.12.0",
    "terraform state lock 9a1b2c3d",
    "AWS region eu-central-1",
    "arn:aws:iam::123456789012:role/deploy",
    "account id 123456789012",
    "Azure subscription 00000000-0000-0000-0000-000000000000",
    "gcloud project acme-prod-123456",
    "bucket acme-logs-eu",
    "queue orders-dead-letter",
    "CPU 2 cores, 24 GiB",
    "disk 252G with 53G free",
    "p95 3.3 ms, p99 7.1 ms",
    "throughput 256 commits/s",
    "batch of 50 records at 100k",
    "n_ctx 4096, n_threads 1",
    "temperature 0.7, top_p 0.9",
    "learning rate 3e-4",
    "weights in fp16",
    "seed 42",
    "embedding dim 384",
    "top_k 10",
    "BM25 k1 1.2 b 0.75",
    "nDCG@10 0.818",
    "recall_all@5 0.881",
    "RRF k=60",
    "chunk size 512 tokens",
    "the user prefers dark mode",
    "Dana works at Acme Corp in Berlin",
    "meeting moved to Thursday 3pm",
    "She likes concise answers",
    "deploys happen on Tuesdays",
    "the staging cluster runs Postgres 16",
    "they migrated from MySQL 5.7 to 8.0",
    "use pnpm, not npm, in the monorepo",
    "tabs over spaces",
    "the API returns 201 on create",
    "retry with exponential back-off up to 5 times",
    "timeout 30 s",
    "the secret is to batch writes",
    "password managers like Bitwarden",
    "two-factor via TOTP apps",
    "SSH keys live in ~/.ssh/id_ed25519",
    "-----BEGIN PUBLIC KEY-----",
    "-----BEGIN CERTIFICATE-----",
    "ssh-ed25519 public keys are fine to share",
    "PGP fingerprint 4AEE 18F8 3AFD EB23",
    "call the function twice",
    "phone support is closed on Sundays",
    "text me when it's done",
    "the phone model is iPhone 15",
    "dial-in is in the invite",
    "order 4111 boxes",
    "room 555",
    "card game with 52 cards",
    "IBAN fields must be validated",
    "account 0049 stays open",
    "gift card balance 25.00",
    "invoice INV-2026-000123",
    "SKU 1234-5678-90",
    "serial SN-8842-1193-77",
    "part no. 555-1234",
    "flight LH 2024",
    "train ICE 1234",
    "bus 100 200",
    "postcode SW1A 1AA",
    "the number is 42",
    "Fibonacci 1 1 2 3 5 8 13 21 34",
    "primes 2 3 5 7 11 13",
    "from 9:00 to 17:00",
    "between 08:30-12:00",
    "week 49 of 2026",
    "Q4 2026 OKRs",
    "v0.3.36 of llama-cpp-python",
    "pygit2 1.21.0",
    "chromadb 1.5.9",
    "openai 3.63.0",
    "pydantic 2.14.4",
    "tokens: 1,024 in / 256 out",
    "score 0.93 merges",
    "threshold 0.85 warns",
    "0.95 errors",
    "the key insight is locality",
    "keyboard shortcut Ctrl+Shift+P",
    "API key rotation policy is quarterly",
    "generate a key with openssl rand -hex 32",
    "store tokens in the keychain",
    "never commit .env files",
    "the token bucket refills 10/s",
    "tokenizer vocab 30522",
    "access token lifetime 3600 s",
    "refresh tokens last 30 days",
    "OAuth client id is public",
    "client_id=web-frontend",
    "callback https://app.acme.io/oauth/callback",
    "scope read:user repo",
    "state parameter prevents CSRF",
    "hooks run before commit",
    "webhooks retry 3 times",
    "https://hooks.slack.com is the webhook host",
    "Slack channel #incidents",
    "xoxb tokens are bot tokens",
    "ghp_ prefixes personal tokens",
    "glpat- tokens come from GitLab",
    "AIza starts Google keys",
    "sk_live_ means production Stripe",
    "npm_ tokens authenticate publishes",
    "SG. prefixes SendGrid keys",
    "the gold standard is 95% recall",
    "compile with -O2 -march=x86-64-v3",
    "gcc 12.2.0",
    "glibc 2.36",
    "kernel 6.1.0-18-amd64",
    "AVX2 FMA F16C",
    "x86_64 and aarch64 builds",
    "page size 4096 bytes",
    "inode 1234567",
    "Dewey 004.678",
    "UDC 519.6",
    "tax id format XX-XXXXXXX",
    "EIN field is optional",
    "passport scans are never stored",
    "DOB is a required field",
    "SSN fields are masked",
    "git log -S finds additions",
    "git fsck --strict is clean",
    "refs/heads/main",
    "proposals/learning/abc",
    "the 3-way merge keeps both",
    "memories.md holds 451 items",
    "HEAD~3",
    "stash@{0}",
]

rows = [{"kind": k, "label": label, "text": t} for k, label, t in positives]
rows += [{"kind": "normal", "label": "normal", "text": t} for t in negatives]
out = Path(__file__).with_name("secrets_corpus.jsonl")
out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
kinds = {k for k, _, _ in positives}
print(f"{len(positives)} positives in {len(kinds)} kinds, {len(negatives)} normal -> {out}")
