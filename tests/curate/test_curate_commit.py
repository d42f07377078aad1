"""One run, one commit (or one proposal branch); a dry run writes nothing; a revert undoes a run."""

from __future__ import annotations

from learning_fs.curate import CurationPolicy
from learning_fs.format import LearningRecord, MemoriesRecord, record_path
from learning_fs.repo import MemoryRepo
from tests.curate.conftest import MakeCurator
from tests.curate.helpers import git, head, learning, memories, memory, snapshot_files, stamp, tree_of

MEMORIES = record_path(MemoriesRecord(user="alice"))


def _plant(repo: MemoryRepo) -> tuple[LearningRecord, LearningRecord]:
    repo.write(memories("alice", memory("m-1", "city: Berlin", 40), memory("m-2", "Likes tea", 30),
                        memory("m-3", "likes tea!", 20), memory("m-4", "city: Lisbon", 2)))
    first, second = learning("Use uv", "Use uv in CI.", 40), learning("use UV", "Use uv in CI", 4)
    repo.write(first)
    repo.write(second)
    repo.flush()
    return first, second


def test_a_dry_run_writes_nothing_and_shows_the_plan_and_diff(repo: MemoryRepo, curator: MakeCurator) -> None:
    _plant(repo)
    before_head, before_files = head(repo), snapshot_files(repo.root)

    result = curator().run(dry_run=True)

    assert result.commit is None
    assert head(repo) == before_head
    assert snapshot_files(repo.root) == before_files  # not even the vector cache under .learning_fs/
    assert git(repo, "status", "--porcelain") == ""
    assert git(repo, "branch", "--list", "proposals/*") == ""
    plan = result.plan
    assert plan.summary() == "merged 2, superseded 1"
    text = plan.render()
    assert "merge m-3 into m-2" in text and "supersede m-1 by m-4" in text
    assert "-- city: Berlin <!-- id=m-1" in plan.diff() and "+- ~~city: Berlin~~" in plan.diff()


def test_a_run_is_one_commit_listing_every_action_with_its_reason(repo: MemoryRepo, curator: MakeCurator) -> None:
    _plant(repo)
    before = head(repo)

    result = curator().run()

    assert git(repo, "rev-list", "--count", f"{before}..HEAD").strip() == "1"
    message = git(repo, "log", "-1", "--format=%B")
    assert message.startswith("Curate all: merged 2, superseded 1\n")
    assert message.count("\n- ") == 3
    assert "Learning-Store: curator" in message and "Learning-Mode: curate" in message
    assert result.commit is not None and result.commit.sha == head(repo)
    repo.flush()  # .git/index is synced off the write path
    assert git(repo, "status", "--porcelain") == ""


def test_propose_mode_opens_a_branch_and_leaves_the_checked_out_branch_alone(repo: MemoryRepo,
                                                                            curator: MakeCurator) -> None:
    _plant(repo)
    before_head, before_files = head(repo), snapshot_files(repo.root, derived=False)

    result = curator().run(propose=True, user="alice")

    assert result.branch == "proposals/curate/user-alice" and result.proposal_id == "curate/user-alice"
    assert head(repo) == before_head and snapshot_files(repo.root, derived=False) == before_files
    assert git(repo, "rev-parse", f"{result.branch}~1").strip() == before_head
    message = git(repo, "log", "-1", "--format=%B", result.branch)
    assert "Learning-Proposal: curate/user-alice" in message and "Learning-User: alice" in message
    assert "~~city: Berlin~~" in git(repo, "show", f"{result.branch}:{MEMORIES}")
    assert curator().run(propose=True, user="alice").branch == "proposals/curate/user-alice-2"


def test_revert_restores_the_state_before_the_run(repo: MemoryRepo, curator: MakeCurator) -> None:
    _first, second = _plant(repo)
    before_tree, before_files = tree_of(repo), snapshot_files(repo.root, derived=False)
    result = curator().run()
    assert result.commit is not None and not (repo.root / (second.path or "")).exists()

    repo.revert(result.commit.sha)

    assert tree_of(repo) == before_tree
    assert snapshot_files(repo.root, derived=False) == before_files
    assert repo.read(second.path or "").id == second.id


def test_a_file_changed_after_planning_is_left_for_the_next_run(repo: MemoryRepo, curator: MakeCurator) -> None:
    _first, second = _plant(repo)
    planner = curator()
    plan = planner.plan()
    with repo.transaction("An agent writes meanwhile") as tx:
        record = tx.read(MEMORIES)
        assert isinstance(record, MemoriesRecord)
        record.memories.append(memory("m-5", "Bought a boat", 0))
        tx.write(record)

    result = planner.apply(plan)

    assert result.commit is not None
    assert {a.ids[0] for a in result.left_for_next_run} == {"m-2", "m-4"}
    record = repo.read(MEMORIES)
    assert isinstance(record, MemoriesRecord)
    assert [m.id for m in record.memories] == ["m-1", "m-2", "m-3", "m-4", "m-5"]  # nothing lost, nothing changed
    assert not (repo.root / (second.path or "")).exists()  # the learnings were not touched meanwhile: merged
    assert "left for the next run" in result.commit.message
    assert len(curator().plan().actions) == 2  # and the next run picks the memories up


def test_nothing_to_do_makes_no_commit(repo: MemoryRepo, curator: MakeCurator) -> None:
    repo.write(memories("alice", memory("m-1", "Likes tea")))
    before = head(repo)

    result = curator().run()

    assert result.commit is None and result.plan.summary() == "nothing to do"
    assert head(repo) == before


def test_the_policy_comes_from_learning_fs_yaml(repo: MemoryRepo) -> None:
    with repo.transaction("Configure curation") as tx:
        text = (repo.root / "learning_fs.yaml").read_text()
        settings = "curate:\n  stale_days: 30\n  max_age_days: {session: 7}\n"
        tx.write_bytes("learning_fs.yaml", (text + settings).encode())
    reopened = MemoryRepo(repo.root)
    try:
        policy = CurationPolicy.from_config(reopened.config)
    finally:
        reopened.close()
    assert policy.stale_days == 30 and policy.max_age_days == {"session": 7} and policy.dedup


def test_a_broken_file_is_skipped_and_named(repo: MemoryRepo, curator: MakeCurator) -> None:
    with repo.transaction("A broken hand edit") as tx:
        tx.write_bytes("learnings/global/ab/broken.md", b"---\nid: [unclosed\n---\n# Broken\n")
    repo.write(LearningRecord(title="Fine", learning="Fine.", created=stamp(3)))

    plan = curator().plan()

    assert plan.empty
    assert any(line.startswith("learnings/global/ab/broken.md:") for line in plan.skipped)


def test_a_curation_proposal_is_reviewed_like_any_other(repo: MemoryRepo, curator: MakeCurator) -> None:
    from learning_fs.review import approve, list_proposals

    _plant(repo)
    result = curator().run(propose=True)

    proposals = list_proposals(repo)
    assert [p.id for p in proposals] == [result.proposal_id]
    approve(repo, proposals[0].id)

    assert "~~city: Berlin~~" in (repo.root / MEMORIES).read_text()
    assert git(repo, "log", "-1", "--format=%s") == f"{result.plan.subject()}\n"
