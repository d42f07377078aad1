"""Agno's learning cookbook, ported to learning_fs, runs against the scripted model and reaches its outcome.

One test per file of ``examples/agno/`` (named after it). Each scripts what a model would say,
runs the file as a script, and asserts what the cookbook says should happen — usually that the
next session's prompt carries what the first one taught, and that it is in the repository.
"""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from learning_fs import MemoryRepo
from tests.agno.conftest import EXAMPLES, Cookbook, run_example
from tests.fakellm import FakeLLM


@pytest.fixture(autouse=True)
def _fast_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    """11_composition/always_capture sleeps 10 s for the capture pass; reads wait for it anyway."""
    real = time.sleep
    monkeypatch.setattr(time, "sleep", lambda seconds: real(min(seconds, 0.01)))


def calls(fake: FakeLLM, *tool_calls: tuple[str, dict[str, Any]], then: str = "ok") -> FakeLLM:
    return fake.enqueue_tool_calls(list(tool_calls)).enqueue_text(then)


def dynamic(fake: FakeLLM, make: Any) -> FakeLLM:
    """A reply computed from the request (e.g. a tool call naming an id a previous tool returned)."""

    def reply(body: dict[str, Any]) -> Any:
        return FakeLLM().enqueue_tool_calls(make(body))._replies.popleft()(body)

    fake._replies.append(reply)
    return fake


def repo_text(root: Path = Path("tmp/memory_repo")) -> str:
    """Every record file of the repository the examples write (``tmp/memory_repo``), concatenated."""
    return "\n".join(p.read_text() for p in sorted(root.rglob("*.md")) if not {".git", ".learning_fs"} & set(p.parts))


def test_every_ported_example_is_covered_here() -> None:
    scripts = {p.relative_to(EXAMPLES).as_posix() for p in EXAMPLES.rglob("*.py")} - {"10_demo/agents.py"}
    tested = {name for name in dir(sys.modules[__name__]) if name.startswith("test_")}
    for script in scripts:
        name = "test_" + re.sub(r"\W", "_", script.removesuffix(".py"))
        assert name in tested, f"{script} has no test ({name})"


# -- 00_quickstart ------------------------------------------------------------------------------
def test_00_quickstart_01_always_learn(cookbook: Cookbook, capsys: pytest.CaptureFixture[str]) -> None:
    calls(cookbook.store("update_user_profile"), ("update_user_profile", {"name": "Alice"}))
    calls(cookbook.store("add_memory"), ("add_memory", {"memory": "Research scientist at Anthropic"}),
          ("add_memory", {"memory": "Prefers concise responses"}))
    cookbook.agent.enqueue_text("Nice to meet you, Alice.").enqueue_text("You're Alice, a research scientist.")
    run_example("00_quickstart/01_always_learn.py")
    out = capsys.readouterr().out
    assert "Name: Alice" in out and "- Prefers concise responses" in out  # printed right after the turn
    assert "Alice" in cookbook.agent_text(1) and "Prefers concise responses" in cookbook.agent_text(1)


def test_00_quickstart_02_agentic_learn(cookbook: Cookbook, capsys: pytest.CaptureFixture[str]) -> None:
    calls(cookbook.agent, ("update_user_profile", {"name": "Alice"}),
          ("add_memory", {"memory": "Research scientist at Anthropic; prefers concise responses"}), then="Saved.")
    cookbook.agent.enqueue_text("You're Alice.")
    run_example("00_quickstart/02_agentic_learn.py")
    assert cookbook.extractions == []  # AGENTIC: the agent saved, nothing ran afterwards
    assert "Alice" in cookbook.agent_text(2) and "prefers concise responses" in cookbook.agent_text(2)
    assert "Name: Alice" in capsys.readouterr().out


def test_00_quickstart_03_learned_knowledge(cookbook: Cookbook, one_embedder: None,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    # A learning is the agent's own conclusion: it says it beside the call (grounding counts its words there).
    cookbook.agent.enqueue_tool_calls([("save_learning", {
        "title": "Check cloud egress costs first",
        "learning": "Cloud egress costs vary 10x between providers; compare them before picking a cloud."})],
        content="Egress costs vary about 10x between cloud providers, so compare them first when picking a cloud.",
    ).enqueue_text("Saved.")
    cookbook.agent.enqueue_text("1. Egress costs. 2. Region coverage.")
    run_example("00_quickstart/03_learned_knowledge.py")
    assert "Check cloud egress costs first" in capsys.readouterr().out
    assert "egress costs vary 10x" in cookbook.agent_text(2).lower()  # engineer_2 benefits


# -- 01_basics ----------------------------------------------------------------------------------
def test_01_basics_1a_user_profile_always(cookbook: Cookbook, capsys: pytest.CaptureFixture[str]) -> None:
    calls(cookbook.store("update_user_profile"),
          ("update_user_profile", {"name": "Alice Chen", "preferred_name": "Ali"}))
    cookbook.agent.enqueue_text("Hi Ali!").enqueue_text("Alice Chen; you prefer Ali.")
    run_example("01_basics/1a_user_profile_always.py")
    assert "Preferred Name: Ali" in capsys.readouterr().out
    assert "Alice Chen" in cookbook.agent_text(1) and "Ali" in cookbook.agent_text(1)


def test_01_basics_1b_user_profile_agentic(cookbook: Cookbook, capsys: pytest.CaptureFixture[str]) -> None:
    calls(cookbook.agent, ("update_user_profile", {"name": "Robert Johnson", "preferred_name": "Bob"}),
          then="Hi Bob!")
    cookbook.agent.enqueue_text("Bob.")
    run_example("01_basics/1b_user_profile_agentic.py")
    assert "update_user_profile" in json.dumps(cookbook.agent.requests[0]["tools"])
    assert "Robert Johnson" in cookbook.agent_text(2) and "Preferred Name: Bob" in capsys.readouterr().out


def test_01_basics_2a_user_memory_always(cookbook: Cookbook, capsys: pytest.CaptureFixture[str]) -> None:
    calls(cookbook.store("add_memory"), ("add_memory", {"memory": "Research scientist at Anthropic"}),
          ("add_memory", {"memory": "Writing a paper on transformer architectures"}))
    cookbook.agent.enqueue_text("Noted.").enqueue_text("Try httpx.")
    run_example("01_basics/2a_user_memory_always.py")
    assert "- Writing a paper on transformer architectures" in capsys.readouterr().out
    assert "Writing a paper on transformer architectures" in cookbook.agent_text(1)


def test_01_basics_2b_user_memory_agentic(cookbook: Cookbook) -> None:
    calls(cookbook.agent, ("add_memory", {"memory": "Backend engineer at Stripe; prefers Rust over Go"}),
          then="Noted.")
    cookbook.agent.enqueue_text("Rust.")
    run_example("01_basics/2b_user_memory_agentic.py")
    assert "prefers Rust over Go" in cookbook.agent_text(2)


def test_01_basics_3a_session_context_summary(cookbook: Cookbook, capsys: pytest.CaptureFixture[str]) -> None:
    session = cookbook.store("update_session_context")
    calls(session, ("update_session_context", {"summary": "Designing a todo REST API; chose PATCH for updates."}))
    calls(session, ("update_session_context", {"summary": "Todo REST API: PATCH for updates, URL /todos/{id}."}))
    cookbook.agent.enqueue_text("PATCH.").enqueue_text("/todos/{id}").enqueue_text("PATCH on /todos/{id}.")
    run_example("01_basics/3a_session_context_summary.py")
    assert "PATCH for updates, URL /todos/{id}" in cookbook.agent_text(2)  # turn 3 recalls what was decided
    assert "Summary: Todo REST API" in capsys.readouterr().out


def test_01_basics_3b_session_context_planning(cookbook: Cookbook, capsys: pytest.CaptureFixture[str]) -> None:
    session = cookbook.store("update_session_context")
    calls(session, ("update_session_context", {
        "summary": "Deploying a Python app", "goal": "Deploy a Python app to production",
        "plan": ["Containerise with Docker", "Push the image", "Run it behind a load balancer"]}))
    calls(session, ("update_session_context", {"completed_steps": [1]}))
    calls(session, ("update_session_context", {"completed_steps": [2]}))
    cookbook.agent.enqueue_text("1. Docker 2. Push 3. LB").enqueue_text("docker push ...").enqueue_text("Step 3.")
    run_example("01_basics/3b_session_context_planning.py")
    out = capsys.readouterr().out
    assert "- [x] Containerise with Docker" in out and "- [x] Push the image" in out
    assert "Run it behind a load balancer" in cookbook.agent_text(2) and "Deploy a Python app" in cookbook.agent_text(2)


def test_01_basics_4_learned_knowledge(cookbook: Cookbook, one_embedder: None,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    calls(cookbook.agent, ("save_learning", {"title": "Check cloud egress costs first",
                                             "learning": "Egress costs vary 10x between cloud providers."}),
          then="Saved.")
    cookbook.agent.enqueue_text("Egress first.")
    run_example("01_basics/4_learned_knowledge.py")
    assert "Check cloud egress costs first" in capsys.readouterr().out
    assert "Egress costs vary 10x" in cookbook.agent_text(2)  # another user, another session


def test_01_basics_5_entity_memory(cookbook: Cookbook) -> None:
    calls(cookbook.agent,
          ("remember_about", {"entity": "Acme Corp", "entity_type": "organization",
                              "facts": ["fintech startup in SF", "about 50 people"]}),
          ("remember_about", {"entity": "Jane Smith", "entity_type": "person", "facts": ["CTO of Acme Corp"]}),
          ("link_entities", {"entity": "Jane Smith", "relation": "cto_of", "related_entity": "Acme Corp"}),
          then="Noted.")
    cookbook.agent.enqueue_text("Acme: fintech in SF, ~50 people, CTO Jane Smith.")
    run_example("01_basics/5_entity_memory.py")
    recalled = cookbook.agent_text(2)  # a fresh session: no tool call, the context carries it
    assert "fintech startup in SF" in recalled and "Jane Smith" in recalled


def test_01_basics_6_extraction_limits(cookbook: Cookbook, capsys: pytest.CaptureFixture[str]) -> None:
    calls(cookbook.store("update_user_profile"), ("update_user_profile", {"name": "Sarah Chen"}))
    calls(cookbook.store("add_memory"), *[("add_memory", {"memory": m}) for m in (
        "VP of Engineering at TechCorp", "Prefers detailed technical explanations", "Works remotely from Seattle",
        "Team uses PostgreSQL, Redis and Kubernetes", "Series B closed at $50M")])
    cookbook.agent.enqueue_text("Thanks, Sarah.")
    run_example("01_basics/6_extraction_limits.py")
    captured = capsys.readouterr()
    memories = re.findall(r"^- (.+)$", captured.out.split("User Memory (limit: 3)")[-1], re.M)
    assert memories == ["VP of Engineering at TechCorp", "Prefers detailed technical explanations",
                        "Works remotely from Seattle"]
    assert "tool call limit reached: kept 3 of 5" in captured.err  # debug_mode=True logs it


# -- 02_user_profile ----------------------------------------------------------------------------
def test_02_user_profile_01_always_extraction(cookbook: Cookbook, capsys: pytest.CaptureFixture[str]) -> None:
    profile = cookbook.store("update_user_profile")
    calls(profile, ("update_user_profile", {"name": "Marcus"}))
    profile.enqueue_text("nothing").enqueue_text("nothing")
    calls(profile, ("update_user_profile", {"preferred_name": "Marc"}))
    for reply in ("Hi Marcus.", "Payments, nice.", "Code first, got it.", "Marc it is."):
        cookbook.agent.enqueue_text(reply)
    run_example("02_user_profile/01_always_extraction.py")
    out = capsys.readouterr().out
    assert out.rstrip().endswith("Name: Marcus\nPreferred Name: Marc")  # built up across conversations
    assert "Marcus" in cookbook.agent_text(1)


def test_02_user_profile_02_agentic_mode(cookbook: Cookbook, capsys: pytest.CaptureFixture[str]) -> None:
    calls(cookbook.agent, ("update_user_profile", {"name": "Jordan Chen", "preferred_name": "JC"}), then="Hi JC.")
    cookbook.agent.enqueue_text("Jordan Chen; I call you JC.")
    calls(cookbook.agent, ("update_user_profile", {"preferred_name": "Jordan"}), then="Jordan it is.")
    run_example("02_user_profile/02_agentic_mode.py")
    assert "JC" in cookbook.agent_text(2)
    assert capsys.readouterr().out.rstrip().endswith("Name: Jordan Chen\nPreferred Name: Jordan")


def test_02_user_profile_03_custom_schema(cookbook: Cookbook, capsys: pytest.CaptureFixture[str]) -> None:
    profile = cookbook.store("update_user_profile")
    calls(profile, ("update_user_profile", {"name": "Alex Chen", "company": "Stripe",
                                            "role": "Senior Backend Engineer", "experience_years": 12}))
    calls(profile, ("update_user_profile", {"primary_language": "Go", "languages": ["Go", "Python", "Rust"],
                                            "frameworks": ["FastAPI", "SQLAlchemy"]}))
    cookbook.agent.enqueue_text("Hi Alex.").enqueue_text("Nice stack.").enqueue_text("In Go, with ...")
    run_example("02_user_profile/03_custom_schema.py")
    assert "Company or organization" in json.dumps(cookbook.extractions[0]["tools"])  # the model read the schema
    assert "Frameworks: ['FastAPI', 'SQLAlchemy']" in capsys.readouterr().out
    assert "Stripe" in cookbook.agent_text(2) and "FastAPI" in cookbook.agent_text(2)  # personalised answer


# -- 03_session_context -------------------------------------------------------------------------
def test_03_session_context_01_summary_mode(cookbook: Cookbook) -> None:
    session = cookbook.store("update_session_context")
    calls(session, ("update_session_context", {"summary": "Debugging a memory leak in a FastAPI server "
                                                           "that processes large JSON payloads."}))
    calls(session, ("update_session_context", {"summary": "Debugging a FastAPI memory leak: grows with no "
                                                           "traffic; file handles already checked."}))
    calls(session, ("update_session_context", {"summary": "Debugging a FastAPI memory leak: grows with no "
                                                           "traffic; suspect Pydantic model caching."}))
    for reply in ("Check caches.", "Look at globals.", "Possibly.", "A FastAPI memory leak."):
        cookbook.agent.enqueue_text(reply)
    run_example("03_session_context/01_summary_mode.py")
    assert "suspect Pydantic model caching" in cookbook.agent_text(3)  # what were we debugging? it knows


def test_03_session_context_02_planning_mode(cookbook: Cookbook, capsys: pytest.CaptureFixture[str]) -> None:
    session = cookbook.store("update_session_context")
    calls(session, ("update_session_context", {
        "goal": "Deploy a new Python web app to AWS",
        "plan": ["Write a Dockerfile", "Push the image to ECR", "Create the ECS service", "Point DNS at it"]}))
    calls(session, ("update_session_context", {"completed_steps": [1], "progress": ["Dockerfile builds"]}))
    calls(session, ("update_session_context", {"completed_steps": [2], "progress": ["Image pushed to ECR"]}))
    for reply in ("Plan: ...", "Next: ECR.", "Next: ECS.", "Create the ECS service."):
        cookbook.agent.enqueue_text(reply)
    run_example("03_session_context/02_planning_mode.py")
    prompt = cookbook.agent_text(3)
    assert "Deploy a new Python web app to AWS" in prompt and "Create the ECS service" in prompt
    assert "- [x] Push the image to ECR" in capsys.readouterr().out


# -- 04_entity_memory ---------------------------------------------------------------------------
def test_04_entity_memory_01_the_four_tools(cookbook: Cookbook, capsys: pytest.CaptureFixture[str]) -> None:
    calls(cookbook.agent,
          ("remember_about", {"entity": "radar", "entity_type": "project",
                              "facts": ["status: blocked on security review"]}),
          ("remember_about", {"entity": "Sarah Chen", "entity_type": "person", "facts": ["designer of radar"]}),
          ("link_entities", {"entity": "Sarah Chen", "relation": "designs", "related_entity": "radar"}),
          then="Tracked.")
    calls(cookbook.agent, ("remember_about", {"entity": "radar", "entity_type": "project",
                                              "facts": ["status: shipped v1 to production"],
                                              "events": ["Shipped v1 to production"]}), then="Great news.")
    cookbook.agent.enqueue_text("radar shipped v1; Sarah Chen designs it.")
    run_example("04_entity_memory/01_the_four_tools.py")
    out = capsys.readouterr().out
    assert "fact: status: shipped v1 to production" in out
    assert "retired: status: blocked on security review" in out  # retired, not deleted
    assert "shipped v1" in cookbook.agent_text(4) and "blocked on security review" not in cookbook.agent_text(4)


def test_04_entity_memory_02_links_and_forget(cookbook: Cookbook, capsys: pytest.CaptureFixture[str]) -> None:
    calls(cookbook.agent,
          ("remember_about", {"entity": "Sarah Chen", "entity_type": "person"}),
          ("remember_about", {"entity": "radar", "entity_type": "project"}),
          ("remember_about", {"entity": "infra platform", "entity_type": "project", "facts": ["run by Tom Alvarez"]}),
          ("link_entities", {"entity": "Sarah Chen", "relation": "designs", "related_entity": "radar"}),
          ("link_entities", {"entity": "radar", "relation": "depends_on", "related_entity": "infra platform"}),
          then="Recorded.")
    calls(cookbook.agent, ("search_entities", {}), then="Sarah Chen, radar, infra platform.")
    calls(cookbook.agent, ("forget", {"entity": "radar"}), then="Archived radar.")
    run_example("04_entity_memory/02_links_and_forget.py")
    out = capsys.readouterr().out
    radar = out.split("radar (project)")[1].split("Sarah Chen (person)")[0]
    assert "depends_on -> infra platform" in radar and "designs (inverse) -> Sarah Chen" in radar  # both ends
    listed = cookbook.agent.requests[3]["messages"][-1]["content"]  # search_entities with no query
    assert all(name in listed for name in ("Sarah Chen", "radar", "infra platform"))
    assert "radar (project)" in out.split("still searchable")[-1] and "(archived)" in out.split("still searchable")[-1]


# -- 05_learned_knowledge -----------------------------------------------------------------------
def test_05_learned_knowledge_01_agentic_mode(cookbook: Cookbook, one_embedder: None,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    calls(cookbook.agent, ("save_learning", {"title": "Compare cloud egress costs first",
                                             "learning": "Egress costs can vary 10x between cloud providers."}),
          then="Saved.")
    calls(cookbook.agent, ("save_learning", {"title": "Rehearse database migration rollbacks in staging",
                                             "learning": "Test rollback procedures for database migrations in "
                                                         "staging before production."}), then="Saved.")
    calls(cookbook.agent, ("search_learnings", {"query": "database migrations cloud costs"}),
          then="Check egress costs; rehearse rollbacks.")
    run_example("05_learned_knowledge/01_agentic_mode.py")
    out = capsys.readouterr().out
    assert "Compare cloud egress costs first" in out and "Rehearse database migration rollbacks" in out
    found = cookbook.agent.requests[5]["messages"][-1]["content"]
    assert "Egress costs can vary 10x" in found and "Test rollback procedures" in found  # applied to a new question


def test_05_learned_knowledge_02_propose_mode(cookbook: Cookbook, one_embedder: None,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    learned = cookbook.store("save_learning")
    learned.enqueue_text("Nothing yet: the user has not confirmed.")
    calls(learned, ("save_learning", {"title": "Use host.docker.internal on Mac",
                                      "learning": "From inside a Docker container on Mac, reach the host at "
                                                  "host.docker.internal, not localhost."}))
    # The extractor sees only the confirming turn, so the agent's reply there restates what it saves
    # (grounding refuses a learning that turn does not contain).
    for reply in ("Want me to save that?", "Proposed for review: on Mac, reach the host from inside a Docker "
                  "container at host.docker.internal, not localhost.", "Glad it works.", "Understood, not saving."):
        cookbook.agent.enqueue_text(reply)
    namespace = run_example("05_learned_knowledge/02_propose_mode.py")
    out = capsys.readouterr().out
    assert "proposed, awaiting review: proposals/" in out.split("restart")[0]  # the confirmed one: a proposal
    repo = MemoryRepo(Path("tmp/memory_repo"))
    assert not list(repo.list("learning"))  # PROPOSE is a branch: main holds nothing until a person merges
    proposals = namespace["agent"].learning_machine.proposals()
    assert len(proposals) == 1 and "docker" in proposals[0].branch  # the rejected one was never proposed
    repo.close()


# -- 06_quick_tests -----------------------------------------------------------------------------
def test_06_quick_tests_01_async_user_profile(cookbook: Cookbook, capsys: pytest.CaptureFixture[str]) -> None:
    calls(cookbook.store("update_user_profile"), ("update_user_profile", {"name": "Diana Prince",
                                                                          "preferred_name": "Di"}))
    cookbook.agent.enqueue_text("Hello Di.").enqueue_text("Diana Prince.")
    run_example("06_quick_tests/01_async_user_profile.py")
    assert "Diana Prince" in cookbook.agent_text(1) and "ASYNC TEST COMPLETE" in capsys.readouterr().out


def test_06_quick_tests_02_learning_true_shorthand(cookbook: Cookbook, capsys: pytest.CaptureFixture[str]) -> None:
    calls(cookbook.store("update_user_profile"), ("update_user_profile", {"name": "Charlie Brown",
                                                                          "preferred_name": "Chuck"}))
    cookbook.agent.enqueue_text("Hi Chuck.").enqueue_text("Chuck.")
    run_example("06_quick_tests/02_learning_true_shorthand.py")
    out = capsys.readouterr().out
    for line in ("LearningMachine exists: True", "UserProfileStore exists: True", "UserMemoryStore exists: True",
                 "DB injected: True", "Model injected: True", "SHORTHAND TEST COMPLETE"):
        assert line in out
    assert "Chuck" in cookbook.agent_text(1)


def test_06_quick_tests_03_no_db_graceful(cookbook: Cookbook, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    cookbook.agent.enqueue_text("Hi Eve.").enqueue_text("Eve.")
    run_example("06_quick_tests/03_no_db_graceful.py")
    out = capsys.readouterr().out
    assert "[OK] Agent responded without crashing" in out and "[OK] Second message worked" in out
    assert (tmp_path / "memory_repo" / ".git").exists()  # learning_fs always has a repository: the default one


def test_06_quick_tests_04_claude_model(cookbook: Cookbook, capsys: pytest.CaptureFixture[str]) -> None:
    calls(cookbook.store("update_user_profile"), ("update_user_profile", {"name": "Bruce Wayne",
                                                                          "preferred_name": "Batman"}))
    cookbook.agent.enqueue_text("Hello.").enqueue_text("Batman.")
    run_example("06_quick_tests/04_claude_model.py")
    out = capsys.readouterr().out
    assert "Model type: OpenAIChat" in out and "Preferred Name: Batman" in out
    assert "Batman" in cookbook.agent_text(1)


# -- 07_patterns --------------------------------------------------------------------------------
def test_07_patterns_personal_assistant(cookbook: Cookbook, capsys: pytest.CaptureFixture[str]) -> None:
    calls(cookbook.store("update_user_profile"), ("update_user_profile", {"name": "Alex Chen"}))
    calls(cookbook.agent, ("remember_about", {"entity": "Sarah", "entity_type": "person",
                                              "facts": ["Alex's sister", "visiting next month"]}), then="Noted.")
    cookbook.agent.enqueue_text("You're Alex Chen; your sister Sarah visits next month.")
    cookbook.agent.enqueue_text("Hiking plan: ...")
    session = cookbook.store("update_session_context").enqueue_text("nothing").enqueue_text("nothing")
    calls(session, ("update_session_context", {
        "goal": "Plan activities for Sarah's visit", "plan": ["Pick a hiking trail", "Book a dinner"]}))
    run_example("07_patterns/personal_assistant.py")
    out = capsys.readouterr().out
    assert "Name: Alex Chen" in out and "Alex's sister" in out  # the entity search pprint
    assert "Alex Chen" in cookbook.agent_text(2) and "Alex's sister" in cookbook.agent_text(2)
    assert "Plan activities for Sarah's visit" in out.split("CONVERSATION 3")[-1]


def test_07_patterns_research_assistant(cookbook: Cookbook, capsys: pytest.CaptureFixture[str]) -> None:
    calls(cookbook.store("update_user_profile"), ("update_user_profile", {"name": "Dr. Sarah Kim"}))
    calls(cookbook.store("add_memory"), ("add_memory", {"memory": "Neuroscience researcher at MIT"}))
    calls(cookbook.agent, ("search_web", {"query": "brain-computer interfaces recent papers"}), then="Here are ...")
    calls(cookbook.agent, ("search_web", {"query": "neural implants latest"}), then="You're Dr. Kim ...")
    run_example("07_patterns/research_assistant.py")
    assert "Dr. Sarah Kim" in cookbook.agent_text(2) and "Neuroscience researcher at MIT" in cookbook.agent_text(2)
    later = [e for e in cookbook.extractions if "neural implants" in json.dumps(e)]
    assert later and all("brain-computer" not in json.dumps(e["messages"][1]) for e in later)  # no old scaffolding
    assert "Name: Dr. Sarah Kim" in capsys.readouterr().out


def test_07_patterns_support_agent(cookbook: Cookbook, one_embedder: None,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    calls(cookbook.agent, ("search_learnings", {"query": "login invalid credentials chrome"}),
          then="Try clearing Chrome's cache and cookies.")
    calls(cookbook.agent, ("save_learning", {
        "title": "Chrome login fails with 'invalid credentials': clear the cache",
        "learning": "When login in Chrome says 'invalid credentials' with a correct password, clearing the "
                    "browser cache and cookies fixes it."}), then="Glad it worked!")
    cookbook.agent.enqueue_text("Clear Chrome's cache: that fixed the same issue before.")
    run_example("07_patterns/support_agent.py")
    assert "clear the cache" in capsys.readouterr().out
    assert "clearing the browser cache and cookies fixes it" in cookbook.agent_text(4)  # ticket 2 gets it


# -- 08_custom_stores ---------------------------------------------------------------------------
def test_08_custom_stores_01_minimal_custom_store(cookbook: Cookbook, capsys: pytest.CaptureFixture[str]) -> None:
    cookbook.agent.enqueue_text("The learning-machine project, Sprint 23.").enqueue_text("Let's unblock it.")
    namespace = run_example("08_custom_stores/01_minimal_custom_store.py")
    assert "<project_context>" in cookbook.agent_text(0) and "Sprint 23" in cookbook.agent_text(0)
    assert namespace["_project_data"]["learning-machine"]["last_discussed_topic"] == "blockers"
    assert "last_discussed_topic: blockers" in capsys.readouterr().out.split("Discussing blockers")[-1]


# -- 09_decision_logs ---------------------------------------------------------------------------
def test_09_decision_logs_01_basic_decision_log(cookbook: Cookbook, capsys: pytest.CaptureFixture[str]) -> None:
    cookbook.agent.enqueue_tool_calls([("log_decision", {  # the agent states its decision beside the call
        "decision": "Recommend Python for the web scraping project",
        "reasoning": "Mature scraping libraries (requests, BeautifulSoup, Scrapy)",
        "alternatives": ["JavaScript with Puppeteer"], "decision_type": "recommendation"})],
        content="Python: requests, BeautifulSoup and Scrapy are mature; JavaScript with Puppeteer is the other option.",
    ).enqueue_text("Python.")
    run_example("09_decision_logs/01_basic_decision_log.py")
    out = capsys.readouterr().out.split("Decisions Logged")[-1]
    assert re.search(r"\[dec-\w+\] Recommend Python for the web scraping project", out)
    assert "Reasoning: Mature scraping libraries" in out
    assert cookbook.agent.requests[0]["messages"][0]["content"].startswith(
        "You are a helpful assistant that logs important decisions.\nWhen you make a significant choice")


def test_09_decision_logs_02_record_outcomes(cookbook: Cookbook, capsys: pytest.CaptureFixture[str]) -> None:
    calls(cookbook.agent, ("log_decision", {"decision": "Use Postgres for the billing service",
                                            "reasoning": "Transactions needed; the team knows SQL"}),
          then="Postgres.")
    cookbook.agent.enqueue_tool_calls([("search_decisions", {"query": "Postgres billing service"})])

    def outcome(body: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
        found = re.search(r"dec-\w+", body["messages"][-1]["content"])
        assert found, body["messages"][-1]
        return [("record_outcome", {"decision_id": found.group(0), "outcome": "Migration went smoothly",
                                    "quality": "good"})]

    dynamic(cookbook.agent, outcome).enqueue_text("Recorded.")
    run_example("09_decision_logs/02_record_outcomes.py")
    out = capsys.readouterr().out.split("with its outcome")[-1]
    assert "Use Postgres for the billing service" in out and "Outcome: Migration went smoothly" in out


# -- 10_demo ------------------------------------------------------------------------------------
def test_10_demo_seed(cookbook: Cookbook, one_embedder: None, capsys: pytest.CaptureFixture[str]) -> None:
    profile, memory = cookbook.store("update_user_profile"), cookbook.store("add_memory")
    calls(profile, ("update_user_profile", {"name": "Alice Chen"}))
    calls(memory, ("add_memory", {"memory": "Engineering lead at Vantage Labs; prefers short answers with code"}))
    session = cookbook.store("update_session_context").enqueue_text("Nothing new to save.")  # turn 1: a greeting
    calls(session, ("update_session_context", {  # turn 2 states the goal (the summary must come from the turn)
        "summary": "Planning a zero-downtime upgrade of Postgres 15 to 17"}))
    agent = cookbook.agent
    agent.enqueue_text("Hi Alice.").enqueue_text("Plan: ...")
    calls(agent, ("remember_about", {"entity": "Marcus Lee", "entity_type": "person",
                                     "facts": ["infra engineer at Vantage Labs", "owns the Postgres cluster"]}),
          then="Noted.")
    calls(agent, ("log_decision", {"decision": "Use logical replication for the Postgres cutover",
                                   "reasoning": "Near-zero downtime", "alternatives": ["pg_upgrade"]}),
          then="Logical replication.")
    calls(agent, ("save_learning", {"title": "Rehearse Postgres major upgrades on a restored clone",
                                    "learning": "Before a major Postgres upgrade, rehearse the cutover on a clone "
                                                "restored from a fresh backup before touching production."}),
          then="Saved for the team.")
    for _ in range(4):  # Alice's other four turns teach the profile nothing
        profile.enqueue_text("nothing")
    calls(profile, ("update_user_profile", {"name": "Ben Okafor"}))
    agent.enqueue_text("Congrats on the Series A.")
    calls(agent, ("remember_about", {"entity": "Design System", "entity_type": "project",
                                     "facts": ["led by Sarah Kim", "at Northwind"]}),
          ("log_decision", {"decision": "First milestone: a token library", "reasoning": "Unblocks every team"}),
          then="Start with tokens.")
    agent.enqueue_text("Yes: rehearse the cutover on a restored clone first.")
    run_example("10_demo/seed.py")
    out = capsys.readouterr().out
    assert "rehearse the cutover on a clone" in cookbook.agent_text(len(agent.requests) - 1)  # Ben benefits
    for expected in ("Name: Alice Chen", "Name: Ben Okafor", "Summary: Planning a zero-downtime upgrade",
                     "Use logical replication", "Rehearse Postgres major upgrades", "- Marcus Lee (person)",
                     "- Design System (project)"):
        assert expected in out, expected


# -- 11_composition -----------------------------------------------------------------------------
def test_11_composition_always_capture(cookbook: Cookbook, capsys: pytest.CaptureFixture[str]) -> None:
    calls(cookbook.store("update_user_profile"), ("update_user_profile", {"name": "Dana"}))
    calls(cookbook.store("add_memory"), ("add_memory", {"memory": "Data engineer in Lisbon; ClickHouse pipelines"}))
    cookbook.agent.enqueue_text("Hi Dana.")
    run_example("11_composition/always_capture.py")
    out = capsys.readouterr().out.split("what ALWAYS capture extracted")[-1]
    assert "Name: Dana" in out and "- Data engineer in Lisbon; ClickHouse pipelines" in out


def test_11_composition_basic(cookbook: Cookbook, capsys: pytest.CaptureFixture[str]) -> None:
    calls(cookbook.agent, ("add_memory", {"memory": "Prefers sources with primary data"}),
          ("remember_about", {"entity": "Meridian", "entity_type": "project", "facts": ["run by Priya"]}),
          then="Noted both.")
    run_example("11_composition/basic.py")
    out = capsys.readouterr().out.split("what the manual door placed")[-1]
    assert "Prefers sources with primary data" in out and "run by Priya" in out
    assert "add_memory" in out  # the guidance names the tools it placed


def test_11_composition_context_block(cookbook: Cookbook) -> None:
    cookbook.agent.enqueue_text("Conclusion first: ...")
    run_example("11_composition/context_block.py")
    request = cookbook.agent.requests[0]
    assert "Prefers conclusions first, then supporting detail" in request["messages"][0]["content"]
    assert "tools" not in request or not request["tools"]  # data without tools


def test_11_composition_with_filesystem(cookbook: Cookbook, capsys: pytest.CaptureFixture[str]) -> None:
    calls(cookbook.agent, ("write_file", {"path": "notes/vector-db-comparison.md",
                                          "content": "# Vector DB comparison\n\nDue Friday."}),
          ("add_memory", {"memory": "Wants conclusions first in every summary"}), then="Noted both.")
    run_example("11_composition/with_filesystem.py")
    out = capsys.readouterr().out.split("--- files ---")[-1]
    assert out.split() == ["notes/vector-db-comparison.md"]
    tools = {t["function"]["name"] for t in cookbook.agent.requests[0]["tools"]}
    assert {"write_file", "read_file", "list_files", "add_memory"} <= tools
    assert "You have a file system for running notes" in cookbook.agent.requests[0]["messages"][0]["content"]
    assert "Wants conclusions first" in repo_text()  # the memory is learned; the note is a working file
    assert "Due Friday" not in repo_text() and "Due Friday" in next(
        Path("tmp/memory_repo/.learning_fs/files").rglob("*.md")).read_text()
