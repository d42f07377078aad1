"""Demo step: every record kind written as a Markdown file, each write one commit."""

from __future__ import annotations

from learning_fs import ops
from learning_fs.demo.runner import DemoContext
from learning_fs.format.items import link_text

ORDER = 10


def run(ctx: DemoContext) -> None:
    repo = ctx.repo

    ctx.chapter("1. A user profile", "Structured fields about Alice, one file per user, private to her "
                "(namespace 'user', under users/).")
    origin = ctx.origin("user_profile", day=0)
    with ops.write_transaction(repo, "Add profile: Alice Martin", origin) as tx:
        profile, _ = ops.set_profile(tx, "alice", {
            "name": "Alice Martin", "preferred_name": "Alice", "role": "data engineer",
            "timezone": "Europe/Berlin", "languages": ["en", "de"],
        }, origin)
    ctx.show_file(profile.path or "")

    ctx.chapter("2. Memories about Alice", "Unstructured observations, one per line, each with a stable id "
                "in an HTML comment (invisible when rendered). Three memories, one commit.")
    origin = ctx.origin("user_memory", day=0)
    with ops.write_transaction(repo, "Remember 3 things about alice", origin) as tx:
        for text in ("Prefers short answers with a code sample first.",
                     "Works on the billing data pipeline.",
                     "Is migrating the team from cron jobs to Airflow."):
            memories, _ = ops.add_memory(tx, "alice", text, origin)
    ctx.show_file(memories.path or "")

    ctx.chapter("3. A session context", "What session s-001 is about and where it stands, so the agent can "
                "pick up after the chat history is truncated. Plan steps are Markdown checkboxes.")
    origin = ctx.origin("session_context", day=1)
    with ops.write_transaction(repo, "Update session s-001", origin) as tx:
        session, _ = ops.put_session(
            tx, "alice", "s-001", origin,
            summary="Alice is moving the nightly billing export from cron to Airflow.",
            goal="A daily Airflow DAG that exports invoices to the warehouse.",
            plan=["Write the DAG skeleton", "Port the export query", "Add retries and alerting"], completed_steps=[1],
            progress=["DAG skeleton reviewed and merged"])
    ctx.show_file(session.path or "")

    ctx.chapter("4. An entity with facts, events and relationships",
                "Acme Corp: facts one per line, dated events as a timeline, relationships as [[wikilinks]] "
                "(the repository opens as an Obsidian vault with a graph). A relationship is written on both "
                "entities, in the same commit.")
    origin = ctx.origin("entity_memory", day=2)
    with ops.write_transaction(repo, "Learn about Acme Corp", origin) as tx:
        ops.add_fact(tx, "Acme Corp", "Runs PostgreSQL 15 for billing.", origin, entity_type="company")
        ops.add_fact(tx, "Acme Corp", "Invoices customers monthly, in EUR.", origin)
        ops.add_event(tx, "Acme Corp", "2019-03-01", "Founded in Berlin.", origin)
        ops.add_event(tx, "Acme Corp", "2024-06-15", "Moved its data warehouse to BigQuery.", origin)
        alice, _ = ops.add_relationship(tx, "Alice", "works_at", "Acme Corp", origin, note="data team")
        acme, _ = ops.add_relationship(tx, "Acme Corp", "uses", "Airflow", origin)
    ctx.notes["acme_path"] = acme.path
    ctx.show_file(acme.path or "", "note 'employs [[Alice]]': the other end of Alice's 'works_at'")
    ctx.say(f"\n{alice.path} holds the other end: "
            + "; ".join(f"{i.relation} {link_text(i)}: {i.text}" for i in alice.relationships))

    ctx.chapter("5. Learnings and a decision", "Lessons the agent can reuse with anyone (namespace 'global' "
                "or a team's namespace), and a decision with its reasoning and the alternatives it weighed.")
    origin = ctx.origin("learning", day=3)
    with ops.write_transaction(repo, "Add 2 learnings", origin) as tx:
        learning = ops.add_learning(
            tx, "Airflow retries need idempotent tasks",
            "Give every Airflow task a retry policy only after making it idempotent: a retried export "
            "that appends instead of overwriting doubles the invoices.",
            origin, tags=["airflow", "data-pipelines"], context="Alice's first DAG retried an append-only export.")
        ops.add_learning(tx, "Answer Alice with code first", "Alice reads the code sample before the prose.",
                         origin, namespace="user", tags=["style"])
    ctx.show_file(learning.path or "")
    origin = ctx.origin("decision", day=3)
    with ops.write_transaction(repo, "Add decision: Schedule the export at 02:00 UTC", origin) as tx:
        decision = ops.add_decision(
            tx, "Schedule the export at 02:00 UTC", "Run the billing export DAG daily at 02:00 UTC.", origin,
            reasoning="The warehouse load finishes by 01:30 UTC and invoices must be ready by 06:00 CET.",
            alternatives=["Hourly runs (costly; no consumer needs them)",
                          "Trigger on the warehouse load (not exposed yet)"],
            confidence=0.8)
    ctx.show_file(decision.path or "")

    ctx.chapter("The layout", "A folder per kind and namespace; busy folders are sharded by two hex characters "
                "so a commit stays fast at 100k files.")
    ctx.show_command("find . -name '*.md' | sort", "\n".join(f"./{p}" for p in sorted(repo.paths())))
