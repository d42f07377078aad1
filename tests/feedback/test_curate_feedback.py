"""The curator uses feedback: a learning in the context of failed runs is demoted, one in successful runs kept."""

from __future__ import annotations

from learning_fs.curate import CurationPolicy, Curator
from learning_fs.format import LearningRecord
from learning_fs.format.records import FeedbackRecord
from learning_fs.repo import MemoryRepo
from tests.feedback.helpers import QUESTION


def signals(repo: MemoryRepo, ident: str, scores: list[float]) -> None:
    for number, score in enumerate(scores):
        repo.write(FeedbackRecord(signal="correction" if score < 0 else "praise", score=score,
                                  session_id=f"s-{ident}-{number}", in_context=[ident, "m-unrelated"]))


def curator(repo: MemoryRepo, **policy: object) -> Curator:
    return Curator(repo, policy=CurationPolicy(near_duplicates=False, **policy))


def test_the_curator_demotes_a_learning_linked_to_failures_and_keeps_one_linked_to_successes(repo, machine):
    repo.write(LearningRecord(id="lrn-bad", title="Paris Berlin in miles", learning="Paris to Berlin: 545 miles."))
    repo.write(LearningRecord(id="lrn-good", title="Paris Berlin by rail", learning="Paris to Berlin by rail: 8 h."))
    signals(repo, "lrn-bad", [-1, -1, -1, 0.5])
    signals(repo, "lrn-good", [0.5, 0.5, -1, 0.5])
    assert "545 miles" in machine.build_context("alice", "s-1", QUESTION)

    result = curator(repo).run(namespace="global")
    demoted = [a for a in result.plan.actions if a.op == "demote"]
    assert [a.ids for a in demoted] == [("lrn-bad",)]
    assert "in the context of 3 failed and 1 successful run(s)" in demoted[0].reason
    bad = next(repo.get(p) for p in repo.paths("learning") if "miles" in p)
    good = next(repo.get(p) for p in repo.paths("learning") if "rail" in p)
    assert bad.extra.get("demoted") is True and "demoted" not in good.extra
    context = machine.build_context("alice", "s-2", QUESTION)
    assert "545 miles" not in context and "8 h" in context  # out of the context …
    search = {t.__name__: t for t in machine.get_tools("alice", "s-2")}["search_learnings"]
    assert "545 miles" in search("Paris Berlin miles")  # … still searchable


def test_a_demoted_learning_comes_back_once_successes_outnumber_failures(repo):
    repo.write(LearningRecord(id="lrn-x", title="Paris Berlin in miles", learning="545 miles.",
                              extra={"demoted": True}))
    signals(repo, "lrn-x", [-1, 0.5, 0.5])
    result = curator(repo).run(namespace="global")
    assert [(a.op, a.ids) for a in result.plan.actions] == [("promote", ("lrn-x",))]
    assert "demoted" not in repo.get(repo.paths("learning")[0]).extra


def test_feedback_can_be_switched_off(repo):
    repo.write(LearningRecord(id="lrn-bad", title="Paris Berlin in miles", learning="545 miles."))
    signals(repo, "lrn-bad", [-1, -1, -1, -1])
    assert curator(repo, feedback=False).run(namespace="global").plan.empty
    assert not curator(repo, feedback_min_failures=5).run(namespace="global").plan.actions
