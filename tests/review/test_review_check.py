"""``learning-fs check``: duplicates, schema errors with lines, secrets, personal data and namespaces, three formats."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from learning_fs.format import EntityRecord, Item, LearningRecord, MemoriesRecord
from learning_fs.format.ids import new_id
from learning_fs.repo import MemoryRepo
from learning_fs.review import check
from learning_fs.review.formats import format_github
from tests.review.conftest import Invoke, configure_check, git, head, learn

UV = ("Use uv for Python installs", "Use uv to install Python packages in CI; it is much faster than pip.")
UV_REWORDED = ("Install Python packages with uv", "In CI, install Python dependencies with uv instead of pip "
               "because it is faster.")
RETRY = ("Retry flaky uploads", "Retry uploads 3 times with backoff; 503s from S3 are transient.")
VACUUM = ("Vacuum after bulk deletes", "Run VACUUM ANALYZE after deleting many rows in Postgres.")


def item(text: str) -> Item:
    return Item(id=new_id("memory"), text=text)


@pytest.fixture
def base(repo: MemoryRepo) -> str:
    """Main with two learnings: what a pull request is compared with."""
    learn(repo, *UV)
    learn(repo, *RETRY)
    repo.flush()
    return head(repo)


def _plant(repo: MemoryRepo, path: str, text: str) -> None:
    """A file as a person (or a bad merge) leaves it, committed with plain git."""
    file = repo.root / path
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text(text)
    repo.flush()
    git(repo, "add", path)
    git(repo, "commit", "-qm", f"Add {path}")


def test_exact_and_near_duplicates_are_reported_as_pairs_with_similarity(repo: MemoryRepo, base: str,
                                                                         lfs: Invoke) -> None:
    copy = learn(repo, "Retry S3 uploads", RETRY[1].upper() + "!!")  # same words, other case and punctuation
    reworded = learn(repo, *UV_REWORDED)
    unrelated = learn(repo, *VACUUM)

    report = check(repo, base=base)

    by_path = {f.path: f for f in report.findings}
    assert set(by_path) == {copy.path, reworded.path} and unrelated.path not in by_path
    exact, near = by_path[copy.path], by_path[reworded.path]
    assert (exact.severity, exact.similarity, exact.check) == ("error", 1.0, "duplicates")
    assert exact.related_path == "learnings/global/ee/retry-flaky-uploads.md" and "the same text" in exact.message
    assert near.severity == "warning" and near.similarity is not None and 0.85 <= near.similarity < 0.95
    assert near.related_path is not None and near.related_path.endswith("use-uv-for-python-installs.md")
    assert f"(similarity {near.similarity:.2f})" in near.message or "similarity 0.9" in near.message
    result = lfs("check", "--base", base)
    assert result.exit_code == 1
    assert f"{copy.path}:13: learning 'Retry S3 uploads' repeats learning 'Retry flaky uploads'" in result.stdout
    assert f"{reworded.path}:13: warning: learning 'Install Python packages with uv' may duplicate" in result.stdout


def test_thresholds_come_from_learning_fs_yaml(repo: MemoryRepo, base: str) -> None:
    reworded = learn(repo, *UV_REWORDED)
    configure_check(repo, duplicates={"warning": 0.5, "error": 0.9})

    [finding] = check(repo, base=base).findings

    assert finding.path == reworded.path and finding.severity == "error"  # 0.94 >= 0.9: now a failure


def test_only_files_changed_since_base_are_checked_but_compared_with_everything(repo: MemoryRepo,
                                                                                 base: str) -> None:
    _plant(repo, "learnings/global/00/old-broken.md", "---\nkind: learning\n---\n")
    middle = head(repo)
    learn(repo, *VACUUM)

    report = check(repo, base=middle)

    assert report.ok and report.files == 1 and report.compared == 2  # the two learnings of main; not the broken file
    assert not check(repo, base=base).ok


def test_schema_errors_name_file_and_line(repo: MemoryRepo, base: str, lfs: Invoke) -> None:
    _plant(repo, "learnings/global/00/bad.md", "---\nid: lrn-1\nkind: learning\ntitle: [unclosed\n---\n\n# T\n")
    _plant(repo, "learnings/global/00/no-text.md", "---\nid: lrn-2\nkind: learning\ntitle: Empty\n---\n\n# Empty\n")

    findings = {(f.path, f.line, f.check) for f in check(repo, base=base).findings}

    assert ("learnings/global/00/bad.md", 4, "schema") in findings
    assert ("learnings/global/00/no-text.md", 7, "schema") in findings
    out = lfs("check", "--base", base).stdout
    assert "learnings/global/00/bad.md:4: invalid YAML frontmatter" in out


def test_a_planted_api_key_and_other_secrets_fail_the_check(repo: MemoryRepo, base: str) -> None:
    key = "sk-proj-" + "Ab3dE6gH9jK2mN5pQ8sT1vW4yZ7b"
    learn(repo, "Call the billing API", f"Authenticate with {key} when calling billing.")
    memories = MemoriesRecord(user="alice", memories=[item("Her AWS key is AKIAIOSFODNN7EXAMPLE")])
    repo.write(memories)

    findings = [f for f in check(repo, base=base).findings if f.check == "secrets"]

    assert sorted((f.path.split("/")[-1], f.severity) for f in findings) == [
        ("call-the-billing-api.md", "error"), ("memories.md", "error")]  # private files too
    assert all(key not in f.message for f in findings)  # never repeat the secret itself


def test_email_and_phone_only_in_shared_namespaces(repo: MemoryRepo, base: str) -> None:
    shared = learn(repo, "Escalations", "Escalate outages to ops-lead@acme.io or +49 30 1234567.")
    private = MemoriesRecord(user="bob", memories=[item("Reach me at bob@acme.io")])
    repo.write(private)
    learn(repo, "Example addresses", "Use someone@example.com in documentation.")

    pii = [f for f in check(repo, base=base).findings if f.check == "pii"]

    assert sorted((f.path, f.message.split(" in a shared")[0]) for f in pii) == [
        (shared.path, "a phone number"), (shared.path, "an e-mail address")]


def test_namespace_violations_are_errors(repo: MemoryRepo, base: str) -> None:
    _plant(repo, "learnings/global/00/private-outside.md",
           "---\nid: lrn-9\nkind: learning\ntitle: Mine\nnamespace: user\nuser: alice\n---\n\n# Mine\n\nSecret plan.\n")
    shared_in_users = LearningRecord(title="Team rule", learning="Deploy on Tuesdays.", namespace="user", user="carol")
    repo.write(shared_in_users)
    path = shared_in_users.path or ""
    text = (repo.root / path).read_text().replace("namespace: user", "namespace: platform")
    _plant(repo, path, text)

    found = {(f.path, f.check) for f in check(repo, base=base).findings}

    assert ("learnings/global/00/private-outside.md", "namespace") in found
    assert (path, "namespace") in found


def test_a_private_learning_is_compared_with_shared_ones_and_its_owners_only(repo: MemoryRepo) -> None:
    learn(repo, *UV)
    learn(repo, "Retry uploads", RETRY[1], namespace="user", user="bob")
    repo.flush()
    base = head(repo)
    mine = learn(repo, "My uv note", UV[1], namespace="user", user="alice")
    also_mine = learn(repo, "My retry note", RETRY[1], namespace="user", user="alice")

    findings = {f.path: f for f in check(repo, base=base).findings}

    assert findings[mine.path or ""].related_path == "learnings/global/71/use-uv-for-python-installs.md"
    assert also_mine.path not in findings  # bob's identical private learning is not alice's to see


def test_duplicate_memories_and_facts_are_found_within_their_file(repo: MemoryRepo) -> None:
    repo.write(MemoriesRecord(user="alice", memories=[item("Prefers tea over coffee")]))
    repo.write(EntityRecord(name="Acme Corp", facts=[item("Runs PostgreSQL 16 for billing.")]))
    repo.write(MemoriesRecord(user="bob", memories=[item("Likes tea more than coffee")]))
    repo.flush()
    base = head(repo)
    alice = repo.list("memories", user="alice").__next__()
    assert isinstance(alice, MemoriesRecord)
    alice.memories.append(item("Likes tea more than coffee"))
    repo.write(alice)
    acme = next(iter(repo.list("entity")))
    assert isinstance(acme, EntityRecord)
    acme.facts.append(item("runs postgresql 16 for billing"))
    repo.write(acme)

    findings = check(repo, base=base).findings

    assert sorted((f.path == alice.path, f.severity, f.similarity is not None and f.similarity == 1.0)
                  for f in findings) == [(False, "error", True), (True, "warning", False)]
    assert all(f.related_path == f.path for f in findings)  # bob's identical memory is not alice's business


def test_formats_text_github_json(repo: MemoryRepo, base: str, lfs: Invoke) -> None:
    copy = learn(repo, "Retry S3 uploads", RETRY[1])
    learn(repo, "Deploy token", "The deploy token is ghp_" + "a1B2" * 9 + ".")

    text = lfs("check", "--base", base, "--format", "text")
    github = lfs("check", "--base", base, "--format", "github")
    data = json.loads(lfs("check", "--base", base, "--format", "json").stdout)

    assert text.exit_code == github.exit_code == 1
    assert f"{copy.path}:13: learning 'Retry S3 uploads' repeats" in text.stdout
    assert "2 file(s) checked: 2 error(s), 0 warning(s)" in text.stderr
    assert (f"::error file={copy.path},line=13,title=learning-fs check%3A duplicates::learning 'Retry S3 uploads' "
            "repeats learning 'Retry flaky uploads' (the same text) — see learnings/global/ee/retry-flaky-uploads.md:13"
            ) in github.stdout.splitlines()
    assert any(line.startswith("::error file=learnings/global/") and "secrets::a GitHub token" in line
               for line in github.stdout.splitlines())
    assert data["ok"] is False and data["errors"] == 2 and data["files"] == 2
    [dup] = [f for f in data["findings"] if f["check"] == "duplicates"]
    assert dup == {"check": "duplicates", "path": copy.path, "line": 13, "severity": "error", "similarity": 1.0,
                   "message": "learning 'Retry S3 uploads' repeats learning 'Retry flaky uploads' (the same text)",
                   "related": {"path": "learnings/global/ee/retry-flaky-uploads.md", "line": 13}}


def test_a_clean_change_exits_zero(repo: MemoryRepo, base: str, lfs: Invoke) -> None:
    learn(repo, *VACUUM)
    result = lfs("check", "--base", base, "--format", "github")
    assert result.exit_code == 0 and "::error" not in result.stdout and "0 error(s)" in result.stdout


def test_github_annotations_escape_what_would_break_them() -> None:
    from learning_fs.review.findings import CheckReport, Finding

    report = CheckReport([Finding("schema", "a,b:c.md", 3, "100% wrong\nsecond line")])
    assert format_github(report).splitlines()[0] == (
        "::error file=a%2Cb%3Ac.md,line=3,title=learning-fs check%3A schema::100%25 wrong%0Asecond line")


class CountingEmbedder:
    """The real embedder, counting what it is asked to embed (the cache must spare the second run)."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.name, self.dim, self.texts = inner, inner.name, inner.dim, 0

    def embed(self, texts: list[str]) -> Any:
        self.texts += len(texts)
        return self.inner.embed(texts)


def test_the_cache_spares_embedding_existing_records_again(repo: MemoryRepo, base: str, embedder: Any) -> None:
    learn(repo, *VACUUM)
    first, second = CountingEmbedder(embedder), CountingEmbedder(embedder)

    check(repo, base=base, embedder=first)
    check(repo, base=base, embedder=second)

    assert first.texts == 3 and second.texts == 0
    assert (repo.root / ".learning_fs" / "check" / "cache.sqlite3").is_file()
    assert git(repo, "status", "--porcelain", "--ignored").count(".learning_fs/") == 1  # ignored, never committed


def test_words_pick_candidates_when_too_many_existing_records_lack_vectors(repo: MemoryRepo, embedder: Any) -> None:
    topics = ["Airflow sensors", "Docker layers", "Kafka offsets", "Terraform state", "Redis eviction",
              "Postgres vacuum", "Nginx buffering", "Celery retries"]
    for topic in topics:
        learn(repo, f"Notes on {topic}", f"A practical lesson about {topic.lower()} from an incident.")
    learn(repo, *UV)
    repo.flush()
    base = head(repo)
    configure_check(repo, duplicates={"embed_limit": 2})
    git(repo, "commit", "-qam", "Embed at most 2 existing records per check")
    reworded = learn(repo, *UV_REWORDED)
    counting = CountingEmbedder(embedder)

    report = check(repo, base=base, embedder=counting)

    [finding] = report.findings
    assert finding.path == reworded.path and finding.related_path is not None
    assert "use-uv-for-python-installs" in finding.related_path
    assert counting.texts < len(topics) + 2 and any("chosen by shared words" in n for n in report.notes)


def test_check_paths_for_pre_commit(repo: MemoryRepo, base: str, lfs: Invoke) -> None:
    copy = learn(repo, "Retry S3 uploads", RETRY[1])
    other = learn(repo, *VACUUM)
    assert lfs("check", other.path or "").exit_code == 0
    assert lfs("check", str(Path(repo.root, copy.path or ""))).exit_code == 1
