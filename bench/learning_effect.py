"""Does the agent get better? The correction rate per block of interactions, with and without learning.

A simulated world with known answers:

- **Users with stable preferences.** Each of ``USERS`` people wants the same things every time;
  some of them also want to be addressed a particular way (a taste nobody else shares).
- **A task stream with known failure modes.** Distances, dates, temperatures, code and summaries:
  by default the agent answers each the "wrong" way for this organisation (miles, "March 3rd",
  Fahrenheit, code without type hints, no TL;DR). Capital-city questions have no failure mode.
- **A scripted model that follows what its context says**, served at the HTTP boundary (an
  ``httpx.MockTransport`` under the real OpenAI client, like ``tests/fakellm.py``), so the real
  ``Agent`` and ``LearningMachine`` run end to end: it complies with a requirement only when the
  words of that requirement appear in its prompt (the system prompt the machine built, or the
  conversation). It also does the extraction the machine asks of a model (a correction becomes a
  memory) and words rules for self-improvement (it echoes the analyser's draft). Improvement can
  therefore only come from what the machine learned and put in the context.

Each interaction is one session: the user asks; when the answer misses one of their
requirements they correct it ("No, please use metric units (km).") and the agent answers again.
The correction rate of a block is the share of its interactions that needed a correction.

Conditions: ``off`` (no learning), ``memories`` (user memory extracted after each turn) and
``feedback`` (memories + the feedback store + instructions + ``self_improvement``, every
proposal approved at once by the benchmark, standing in for a person).

    python bench/learning_effect.py            # 250 interactions, blocks of 25, plot in docs/
    python bench/learning_effect.py --quick    # 100 interactions (under a minute)
    LEARNING_FS_BASE_URL=http://127.0.0.1:8080/v1 python bench/learning_effect.py --real --quick

With ``--real`` the model is the one ``learning-fs chat`` would use (``LEARNING_FS_BASE_URL`` /
``OPENAI_API_KEY``, ``LEARNING_FS_MODEL``); the simulated user still judges by the same markers.

Results (scripted model, 250 interactions): correction rate of the first and last block of 25 —
learning off 0.92 / 0.92, memories only 0.80 / 0.00, feedback + self-improvement 0.56 / 0.00
(0.00 from block 3 on); 232, 65 and 18 corrections in all. Table: docs/learning-machine.md#self-improvement.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from learning_fs import Agent, LearningMachine, MemoryRepo, OpenAIChat  # noqa: E402
from learning_fs.improve import SelfImprovementConfig  # noqa: E402

BLOCK = 25
CONDITIONS = ("off", "memories", "feedback")
PLOT = ROOT / "docs" / "learning_effect.png"
BASE_URL = "http://scripted-model.invalid/v1"


# -- the world --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Requirement:
    """Something the user wants: ``phrase`` in the prompt makes the model comply; ``marker`` shows it did."""

    name: str
    phrase: str  # what the model must find in its context (lower case)
    correction: str  # what the user says when it is missing
    marker: str  # what the simulated user looks for in the answer


TASKS: dict[str, tuple[Requirement | None, list[str]]] = {
    "distance": (Requirement("metric", "metric units", "No, please use metric units (km).", " km"),
                 ["How far is it from {a} to {b}?", "What is the driving distance between {a} and {b}?"]),
    "date": (Requirement("iso", "iso 8601", "No, please write dates in ISO 8601 (YYYY-MM-DD).", "-0"),
             ["When is the next {event}?", "What date is the {event} this year?"]),
    "weather": (Requirement("celsius", "celsius", "No, please give temperatures in Celsius.", "°C"),
                ["What's the weather like in {a} today?", "How warm will it be in {b} tomorrow?"]),
    "code": (Requirement("types", "type hints", "No, please always include type hints in Python code.", "->"),
             ["Write a Python function that {job}.", "Show me Python code that {job}."]),
    "summary": (Requirement("tldr", "tl;dr", "No, please start every summary with a one-line TL;DR.", "TL;DR"),
                ["Summarise the {doc} for me.", "Give me a summary of the {doc}."]),
    "capital": (None, ["What is the capital of {country}?", "Which city is the capital of {country}?"]),
}
CITIES = ["Paris", "Berlin", "Rome", "Madrid", "Vienna", "Prague", "Lisbon", "Oslo", "Dublin", "Warsaw"]
EVENTS = ["board meeting", "team offsite", "product launch", "quarterly review", "holiday party"]
JOBS = ["reverses a string", "sums a list of numbers", "counts the words in a text", "finds the largest number"]
DOCS = ["Q3 sales report", "incident postmortem", "onboarding guide", "security policy", "release notes"]
COUNTRIES = ["France", "Peru", "Japan", "Kenya", "Canada", "Norway", "Chile", "Egypt"]
SURNAMES = ["Kim", "Okafor", "Novak", "Silva", "Haddad", "Moreau"]
USERS = 12


@dataclass
class User:
    """A simulated user: an id and, for some, a way they want to be addressed."""

    id: str
    title: Requirement | None = None

    def requirements(self, task: str) -> list[Requirement]:
        own = TASKS[task][0]
        return [r for r in (own, self.title) if r is not None]


def make_users(count: int = USERS) -> list[User]:
    users = []
    for number in range(count):
        title = None
        if number % 2 == 0 and number // 2 < len(SURNAMES):
            name = f"Dr. {SURNAMES[number // 2]}"
            title = Requirement(f"title-{number}", f"address me as {name.lower()}",
                                f"No, please address me as {name}.", name + ",")
        users.append(User(f"user-{number:02d}", title))
    return users


def task_stream(count: int, seed: int = 7) -> list[tuple[int, str, str]]:
    """``(user index, task kind, message)`` for each interaction, the same for every condition."""
    rng = random.Random(seed)
    kinds = list(TASKS)
    stream = []
    for _ in range(count):
        kind = rng.choice(kinds)
        template = rng.choice(TASKS[kind][1])
        a, b = rng.sample(CITIES, 2)
        message = template.format(a=a, b=b, event=rng.choice(EVENTS), job=rng.choice(JOBS),
                                  doc=rng.choice(DOCS), country=rng.choice(COUNTRIES))
        stream.append((rng.randrange(USERS), kind, message))
    return stream


# -- the scripted model ------------------------------------------------------------------------------
ALL_REQUIREMENTS = [r for r, _ in TASKS.values() if r is not None]


def task_of(message: str) -> str:
    text = message.lower()
    if "far" in text or "distance" in text:
        return "distance"
    if "date" in text or "when is" in text:
        return "date"
    if "weather" in text or "warm" in text:
        return "weather"
    if "python" in text:
        return "code"
    if "summar" in text:
        return "summary"
    return "capital"


def answer(task: str, knows: Callable[[str], bool]) -> str:
    """The answer to a task, following every requirement whose words the model has seen."""
    metric, iso, celsius, types, tldr = (knows(r.phrase) for r in ALL_REQUIREMENTS)
    text = {
        "distance": "It is about 880 km." if metric else "It is about 545 miles.",
        "date": "It is on 2026-03-03." if iso else "It is on March 3rd.",
        "weather": "Sunny, around 21 °C." if celsius else "Sunny, around 70 °F.",
        "code": "def solve(values: list[int]) -> int:\n    return max(values)" if types
        else "def solve(values):\n    return max(values)",
        "summary": ("TL;DR: on track. " if tldr else "") + "Revenue grew and two risks remain open.",
        "capital": "The capital is the largest city on the coast.",
    }[task]
    return text


class ScriptedModel:
    """An OpenAI-compatible endpoint, in process: answers, extraction and rule wording (see module doc)."""

    def __init__(self) -> None:
        self.requests = 0

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        body = json.loads(request.content)
        messages = body.get("messages") or []
        system = " ".join(str(m.get("content") or "") for m in messages if m.get("role") == "system")
        tools = {t["function"]["name"] for t in body.get("tools") or []}
        if system.startswith("You maintain the standing instructions"):
            draft = re.search(r"^A draft: (.+)$", system, re.M)
            return _reply(body, {"role": "assistant", "content": draft.group(1) if draft else "Follow the users."})
        if "add_memory" in tools:
            return _reply(body, self._extract(messages))
        knowledge = " ".join(str(m.get("content") or "") for m in messages).lower()
        last = next((str(m.get("content")) for m in reversed(messages) if m.get("role") == "user"), "")
        first = next((str(m.get("content")) for m in messages if m.get("role") == "user"), last)
        text = answer(task_of(first), lambda phrase: phrase in knowledge)
        title = re.search(r"address me as (dr\. [a-z]+)", knowledge)
        if title:
            text = title.group(1).title().replace("Dr.", "Dr.") + ", " + text
        return _reply(body, {"role": "assistant", "content": text})

    @staticmethod
    def _extract(messages: list[dict[str, Any]]) -> dict[str, Any]:
        """Memory extraction: a correction in the turn becomes one memory; otherwise nothing to keep."""
        if any(m.get("role") == "tool" for m in messages):
            return {"role": "assistant", "content": "Saved."}
        turn = str(messages[-1].get("content") or "")
        wish = re.search(r"User: No, please (.+?)\.?$", turn, re.M)
        if not wish:
            return {"role": "assistant", "content": "Nothing worth keeping."}
        call = {"id": "call_1", "type": "function",
                "function": {"name": "add_memory", "arguments": json.dumps({"memory": f"Wants: {wish.group(1)}."})}}
        return {"role": "assistant", "content": "The user stated a lasting preference.", "tool_calls": [call]}


def _reply(body: dict[str, Any], message: dict[str, Any]) -> httpx.Response:
    finish = "tool_calls" if message.get("tool_calls") else "stop"
    return httpx.Response(200, json={
        "id": "chatcmpl-scripted", "object": "chat.completion", "created": 0, "model": body.get("model", "scripted"),
        "choices": [{"index": 0, "finish_reason": finish, "message": message}],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}})


def scripted_model() -> OpenAIChat:
    script = ScriptedModel()
    transport = httpx.MockTransport(script.handle)
    return OpenAIChat("scripted", base_url=BASE_URL, api_key="sk-scripted", max_retries=0,
                      http_client=httpx.Client(transport=transport, base_url=BASE_URL))


# -- one condition -------------------------------------------------------------------------------------
@dataclass
class Result:
    condition: str
    corrected: list[bool] = field(default_factory=list)
    approved: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def rates(self, block: int = BLOCK) -> list[float]:
        return [sum(self.corrected[i:i + block]) / len(self.corrected[i:i + block])
                for i in range(0, len(self.corrected), block)]


def run_condition(condition: str, interactions: int, folder: Path, model_factory: Callable[[], Any],
                  every: int = 10) -> Result:
    """Run the task stream under one condition in a fresh repository."""
    repo = MemoryRepo.init(folder / condition)
    model = model_factory()
    machine = None
    if condition == "memories":
        machine = LearningMachine(repo, model=model, user_memory=True, background=False, agent_id="bench",
                                  searcher="lexical", track_recalls=False)
    elif condition == "feedback":
        config = SelfImprovementConfig(every=every, min_corrections=2, min_users=2)
        machine = LearningMachine(repo, model=model, user_memory=True, self_improvement=config, background=False,
                                  agent_id="bench", searcher="lexical", track_recalls=False)
    agent = Agent(model=model, learning=machine, agent_id="bench", history_turns=4)
    users = make_users()
    result = Result(condition)
    started = time.perf_counter()
    for number, (who, task, message) in enumerate(task_stream(interactions)):
        user = users[who]
        session = f"s-{number:04d}"
        reply = agent.run(message, user_id=user.id, session_id=session).content or ""
        missing = [r for r in user.requirements(task) if r.marker not in reply]
        if missing:
            agent.run(missing[0].correction, user_id=user.id, session_id=session)
        result.corrected.append(bool(missing))
        if machine is not None:
            for proposal in machine.proposals():  # the benchmark approves, standing in for a person
                machine.approve(proposal.id)
                result.approved.append(proposal.id)
    result.seconds = time.perf_counter() - started
    agent.close()
    repo.close()
    return result


# -- report ----------------------------------------------------------------------------------------------
def table(results: list[Result], block: int = BLOCK) -> str:
    blocks = len(results[0].rates(block))
    head = "| block | interactions | " + " | ".join(f"{r.condition} correction rate" for r in results) + " |"
    lines = [head, "|" + "---|" * (2 + len(results))]
    for index in range(blocks):
        start, end = index * block + 1, min((index + 1) * block, len(results[0].corrected))
        rates = " | ".join(f"{r.rates(block)[index]:.2f}" for r in results)
        lines.append(f"| {index + 1} | {start}–{end} | {rates} |")
    return "\n".join(lines)


def plot(results: list[Result], path: Path, block: int = BLOCK) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = {"off": "learning off", "memories": "memories only", "feedback": "feedback + self-improvement"}
    figure, axes = plt.subplots(figsize=(7, 4))
    for result in results:
        rates = result.rates(block)
        axes.plot(range(1, len(rates) + 1), rates, marker="o", label=labels.get(result.condition, result.condition))
    axes.set_xlabel(f"block of {block} interactions")
    axes.set_ylabel("correction rate")
    axes.set_ylim(0, 1)
    axes.set_title("Corrections per block: the agent learns from feedback")
    axes.grid(alpha=0.3)
    axes.legend()
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="100 interactions instead of 250 (under a minute)")
    parser.add_argument("--interactions", type=int, help="How many interactions (at least 200 for the report)")
    parser.add_argument("--real", action="store_true", help="Use the model from LEARNING_FS_BASE_URL / OPENAI_API_KEY")
    parser.add_argument("--every", type=int, default=10, help="Self-improvement runs every N turns [10]")
    parser.add_argument("--plot", type=Path, default=None, help=f"Where to save the figure [{PLOT.relative_to(ROOT)}]")
    parser.add_argument("--no-plot", action="store_true", help="Do not draw the figure")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    interactions = args.interactions or (100 if args.quick else 250)
    if args.real:
        from learning_fs.agent.environment import model_from_env

        factory: Callable[[], Any] = model_from_env
    else:
        factory = scripted_model
    folder = Path(tempfile.mkdtemp(prefix="learning-effect-"))
    try:
        results = [run_condition(c, interactions, folder, factory, args.every) for c in CONDITIONS]
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(f"{interactions} interactions, {USERS} users, blocks of {BLOCK}, "
          f"model: {'real (LEARNING_FS_BASE_URL)' if args.real else 'scripted'}\n")
    print(table(results))
    print()
    for result in results:
        rates = result.rates()
        print(f"- {result.condition}: first block {rates[0]:.2f}, last block {rates[-1]:.2f}, "
              f"{sum(result.corrected)} corrections, {len(result.approved)} proposals approved, "
              f"{result.seconds:.1f} s")
    for result in results:
        if result.approved:
            print(f"  approved ({result.condition}): " + ", ".join(result.approved))
    if not args.no_plot:
        target = args.plot or PLOT
        plot(results, target)
        print(f"\nplot: {target}")
    feedback, off = results[-1].rates(), results[0].rates()
    ok = feedback[-1] <= feedback[0] / 2 and feedback[-1] < off[-1]
    print(f"\nfeedback + self-improvement: last block {feedback[-1]:.2f} vs first {feedback[0]:.2f} "
          f"(at most half: {'yes' if feedback[-1] <= feedback[0] / 2 else 'NO'}), vs learning off "
          f"{off[-1]:.2f} (lower: {'yes' if feedback[-1] < off[-1] else 'NO'})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
