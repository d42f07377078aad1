"""``learning-fs stats``: the headline of the known history, as a table and as JSON."""

from __future__ import annotations

import json
import subprocess
import sys

from click.testing import CliRunner

from learning_fs.analytics import History, headline
from learning_fs.cli import cli
from learning_fs.repo import MemoryRepo


def run(*args: str):
    return CliRunner().invoke(cli, list(args), prog_name="learning-fs", catch_exceptions=False)


def test_json_headline(known_repo):
    result = run("--repo", str(known_repo.root), "stats", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["records"]["total"] == 5
    assert data["records"]["by_kind"] == {"entity": 1, "learning": 1, "memories": 2, "profile": 1}
    assert data["records"]["by_namespace"] == {"global": 1, "team-data": 1, "user": 3}
    assert data["commits"] == {"total": 17, "library": 13, "human": 1, "merges": 1}
    assert data["changes"] == {"add": 6, "update": 7, "rename": 1, "delete": 1}
    assert data["proposals"] == {"opened": 3, "open": 1, "approved": 1, "rejected": 1,
                                 "median_review_hours": 48.0, "p90_review_hours": 48.0}
    assert data["curation"]["runs"] == 1 and data["curation"]["records_removed"] == 0
    assert (data["users"], data["sessions"]) == (2, 2)
    assert data == json.loads(json.dumps(headline(History.load(known_repo.root)), default=str))


def test_since_counts_activity_from_a_date_and_keeps_totals(known_repo):
    data = json.loads(run("--repo", str(known_repo.root), "stats", "--since", "2025-01-20", "--json").stdout)
    assert data["since"] == "2025-01-20T00:00:00+00:00"
    assert data["commits"] == {"total": 6, "library": 6, "human": 0, "merges": 0}
    assert data["changes"] == {"add": 0, "update": 4, "rename": 1, "delete": 1}
    assert data["proposals"]["opened"] == 0 and data["records"]["total"] == 5


def test_table(known_repo):
    result = run("--repo", str(known_repo.root), "stats")
    assert result.exit_code == 0
    out = result.stdout
    assert "5 (memories 2, entity 1, learning 1, profile 1)" in out
    assert "17 (13 by the library, 1 by people, 1 merges)" in out
    assert "3 opened: 1 approved, 1 rejected, 1 open" in out
    assert "median 48.0 h" in out


def test_a_bad_since_is_a_usage_error(known_repo):
    result = run("--repo", str(known_repo.root), "stats", "--since", "someday")
    assert result.exit_code == 2 and "--since" in result.stderr


def test_a_fresh_repository(tmp_path):
    MemoryRepo.init(tmp_path / "m").close()
    data = json.loads(run("--repo", str(tmp_path / "m"), "stats", "--json").stdout)
    assert data["records"]["total"] == 0 and data["commits"]["total"] == 1


def test_not_a_memory_repository(tmp_path):
    result = run("--repo", str(tmp_path), "stats")
    assert result.exit_code == 1 and "not a memory repository" in result.stderr


def test_without_pandas_it_says_what_to_install(known_repo):
    code = ("import sys; sys.modules['pandas'] = None; from learning_fs.cli import main; "
            f"sys.argv = ['learning-fs', '--repo', {str(known_repo.root)!r}, 'stats']; main()")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 1
    assert 'pip install "learning-fs[analytics]"' in result.stderr
    assert "Traceback" not in result.stderr
