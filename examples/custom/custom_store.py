"""A custom store in about 50 lines: a team glossary the agent maintains.

A store is any object with ``learning_type`` and some of ``recall``, ``build_context``,
``get_tools`` and ``process``. Each method declares only the context it needs (``message``,
``writer``, ``repo``, ...): the machine passes just those. Writes go through the ``writer``,
so they are commits with evidence, in whatever mode the store runs.
"""

from __future__ import annotations

from typing import Any

from learning_fs import Agent, EntityRecord, LearningMachine, LearningMode, MemoryRepo, RunResponse
from learning_fs.agent import model_or_exit
from learning_fs.format import record_path

NAMESPACE = "glossary"


class GlossaryStore:
    """Team terms and their definitions, shown when a message uses them."""

    learning_type = "glossary"
    mode = LearningMode.AGENTIC

    def recall(self, message: str | None, repo: MemoryRepo) -> list[EntityRecord]:
        words = (message or "").casefold()
        terms = repo.list("entity", namespace=NAMESPACE, copy=False)
        return [t for t in terms if isinstance(t, EntityRecord) and t.name.casefold() in words]

    def build_context(self, terms: list[EntityRecord]) -> str:
        return "\n".join(f"- {term.name}: {term.description}" for term in terms)

    def get_tools(self, writer: Any) -> list[Any]:
        def define_term(term: str, definition: str) -> str:
            """Add or correct a team term in the glossary.

            Args:
                term: The term as the team writes it, e.g. "ARR".
                definition: What the team means by it, in one sentence.
            """
            new = EntityRecord(name=term.strip(), entity_type="term", namespace=NAMESPACE)
            with writer.transaction(f"Define {new.name}") as tx:  # the write lock: from this read to the commit
                record = tx.read(record_path(new)) or new
                record.description = " ".join(definition.split())
                tx.write(record)
            return f"Defined {record.name}."

        return [define_term]


def main(model: Any = None, repo: Any = "tmp/custom_store") -> list[RunResponse]:
    machine = LearningMachine(repo, custom_stores={"glossary": GlossaryStore()})
    agent = Agent(model=model or model_or_exit(), learning=machine,
                  instructions="You help the sales team. Keep the team glossary up to date.")

    first = agent.print_response("FYI: when we say ARR we mean contracted annual revenue, excluding one-offs.",
                                 user_id="lee", session_id="g1")
    second = agent.print_response("How is our ARR defined again?", user_id="kim", session_id="g2")
    print("\nThe glossary block in Kim's context:\n")
    print(second.context)
    agent.close()
    return [first, second]


if __name__ == "__main__":
    main()
