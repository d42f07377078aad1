"""The example's script: six weeks of an agent helping four people at Acme, and a team reviewing it.

Alice (data engineer), Bob (frontend), Chen (product) and Priya (analyst) talk to a support agent;
each conversation turn is what they said and the store tools the agent called, in order. Global
learnings are proposed for review (Dana Reviewer approves or rejects them a day or three later);
the data team's learnings land directly; two proposals are still open at the end, one of them a
near-duplicate of an approved learning (what ``check`` is for). Planted along the way, for the analytics to find: a
fact that changes (PostgreSQL 15 → 16), memories updated and deleted, an exact-duplicate memory
and a contradicting one (for the curator, which also prunes sessions older than three weeks), a
person's hand edit and a person's deletion.

Plain data: :mod:`learning_fs.example.builder` runs it. ``day`` counts from the story's start
(a Monday); sessions are one per user and week (``alice-w1``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Call = tuple[str, dict[str, Any]]
REVIEWER = ("Dana Reviewer", "dana@example.com")
OPS = ("Sam Ops", "sam@example.com")
TEAM_NAMESPACE = "team-data"


@dataclass(frozen=True)
class Turn:
    day: int
    hour: int
    user: str
    message: str
    calls: tuple[Call, ...]

    @property
    def session(self) -> str:
        return f"{self.user}-w{self.day // 7 + 1}"


@dataclass(frozen=True)
class Review:
    """A person decides on the proposal of the learning titled ``title``."""

    day: int
    hour: int
    title: str
    approve: bool
    reason: str = ""


@dataclass(frozen=True)
class HandEdit:
    """A person's own commit: append ``text`` to the learning titled ``title``, or delete it (``text`` None)."""

    day: int
    hour: int
    author: tuple[str, str]
    title: str
    namespace: str
    message: str
    text: str | None = None


@dataclass(frozen=True)
class Curation:
    day: int
    hour: int
    options: dict[str, Any] = field(default_factory=dict)


Scene = Turn | Review | HandEdit | Curation


def c(tool: str, **kwargs: Any) -> Call:
    """One tool call; ``find=`` names a memory by the start of its text (the builder looks up its id)."""
    return tool, kwargs


def session(summary: str, goal: str | None = None, plan: list[str] | None = None, **more: Any) -> Call:
    return c("update_session_context", summary=summary, goal=goal, plan=plan, **more)


def learn(title: str, text: str, context: str | None = None, tags: list[str] | None = None) -> Call:
    return c("save_learning", title=title, learning=text, context=context, tags=tags)


def team(title: str, text: str, context: str | None = None, tags: list[str] | None = None) -> Call:
    return c("save_team_learning", title=title, learning=text, context=context, tags=tags)


SCENES: tuple[Scene, ...] = (
    # -- week 1: introductions ------------------------------------------------------------------
    Turn(0, 9, "alice", "Hi, I'm Alice Martin, a data engineer on the data platform team at Acme, in Berlin. "
         "I want to move our nightly billing export from cron to Airflow.", (
             c("update_user_profile", name="Alice Martin", preferred_name="Alice", role="data engineer",
               team="data platform", timezone="Europe/Berlin"),
             c("add_memory", memory="Works on the billing data pipeline at Acme."),
             c("add_memory", memory="Is migrating the team's cron jobs to Airflow."),
             c("create_entity", name="Acme Corp", entity_type="organization",
               description="Alice's employer; sells B2B invoicing software."),
             c("add_relationship", entity="Alice Martin", relation="works_at", target="Acme Corp",
               description="data platform team"),
             session("Alice is moving the nightly billing export from cron to Airflow.",
                     goal="A daily Airflow DAG that exports invoices to the warehouse.",
                     plan=["Write the DAG skeleton", "Port the export query", "Add retries and alerting"]))),
    Turn(0, 11, "alice", "Keep answers short please, and show me the code first.", (
        c("add_memory", memory="Prefers short answers with a code sample first."),)),
    Turn(1, 14, "bob", "Hey, Bob here, frontend engineer in London. Our invoice search box hammers the API "
         "with a request per keystroke.", (
             c("update_user_profile", name="Bob Okafor", preferred_name="Bob", role="frontend engineer",
               timezone="Europe/London"),
             c("add_memory", memory="Uses TypeScript with strict mode."),
             c("add_memory", memory="Is new to the billing domain."),
             session("Bob wants the invoice search to stop flooding the API.", goal="Fewer search requests",
                     plan=["Measure requests per search", "Debounce the input"]))),
    Turn(1, 16, "bob", "Debouncing by 300 ms cut the requests by 80% and nobody noticed the delay!", (
        learn("Debounce search inputs by 300 ms", "Debounce type-ahead search inputs by about 300 ms before "
              "calling the API: it cut invoice-search requests by 80% without users noticing a delay.",
              context="Bob's invoice search sent one request per keystroke.", tags=["frontend", "performance"]),
        session("Bob debounced the invoice search; requests down 80%.", completed_steps=[1, 2]))),
    Turn(2, 8, "chen", "I'm Chen Wei, product manager for the invoicing revamp, based in Singapore. "
         "Please send me weekly summaries as bullet points.", (
             c("update_user_profile", name="Chen Wei", role="product manager", timezone="Asia/Singapore"),
             c("add_memory", memory="Wants weekly summaries as bullet points."),
             c("create_entity", name="Invoicing revamp", entity_type="project",
               description="Acme's 2025 rewrite of invoice generation."),
             c("add_event", entity="Invoicing revamp", event="Kick-off meeting with finance.", date="2025-03-04"),
             c("add_relationship", entity="Chen Wei", relation="manages", target="Invoicing revamp"),
             session("Chen wants a weekly status of the invoicing revamp.", goal="Weekly revamp summary"))),
    Turn(2, 11, "alice", "Billing runs on PostgreSQL 15, invoices go out monthly in EUR, and the data team "
         "is adopting Airflow.", (
             c("add_fact", entity="Acme Corp", fact="database: PostgreSQL 15 for billing"),
             c("add_fact", entity="Acme Corp", fact="Invoices customers monthly, in EUR."),
             c("create_entity", name="Airflow", entity_type="product",
               description="The workflow scheduler the data team is moving to."),
             c("add_relationship", entity="Acme Corp", relation="uses", target="Airflow"))),
    Turn(3, 13, "priya", "Priya, analyst on the data platform team. I live in BigQuery.", (
        c("update_user_profile", name="Priya Nair", preferred_name="Priya", role="data analyst",
          team="data platform"),
        c("add_memory", memory="Writes SQL in BigQuery daily."),
        c("add_memory", memory="Prefers answers with the SQL first."),
        c("create_entity", name="BigQuery", entity_type="product", description="Acme's data warehouse."),
        c("add_relationship", entity="Acme Corp", relation="uses", target="BigQuery"),
        session("Priya's monthly revenue report is slow and expensive.", goal="A cheaper revenue report"))),
    Turn(3, 15, "priya", "Partitioning by invoice date took the report from 2 TB scanned to 90 GB.", (
        team("Partition BigQuery tables by invoice date", "Partition invoice tables by invoice_date and filter "
             "on it: a month's report then scans 30 partitions instead of the whole table.",
             context="Priya's monthly revenue report scanned 2 TB.", tags=["bigquery", "cost"]),)),
    Turn(4, 10, "alice", "The retried export appended twice, so we doubled yesterday's invoices. Oops.", (
        learn("Airflow retries need idempotent tasks", "Give an Airflow task retries only after making it "
              "idempotent: a retried export that appends instead of overwriting doubles the invoices.",
              context="Alice's first DAG retried an append-only export.", tags=["airflow", "data-pipelines"]),
        session("Alice's DAG skeleton works; a retry doubled invoices, export made idempotent.",
                completed_steps=[1], progress=["DAG skeleton merged"]))),
    Review(4, 16, "Debounce search inputs by 300 ms", approve=True),
    # -- week 2 ---------------------------------------------------------------------------------
    Turn(7, 9, "alice", "When should the export run? The warehouse load ends at 01:30 UTC.", (
        c("log_decision", decision="Schedule the billing export DAG daily at 02:00 UTC.",
          reasoning="The warehouse load finishes by 01:30 UTC and invoices must be ready by 06:00 CET.",
          alternatives=["Hourly runs (costly; nobody needs them)", "Trigger on the warehouse load (not exposed)"],
          confidence=0.8),
        session("Alice scheduled the export at 02:00 UTC.", goal="Run the export reliably every night"))),
    Turn(7, 10, "alice", "An unpinned provider upgrade broke the BigQuery operator overnight.", (
        learn("Pin Airflow provider versions", "Pin apache-airflow-providers-* versions in the constraints file: "
              "an unpinned provider upgrade broke the BigQuery operator overnight.", tags=["airflow"]),)),
    Review(8, 11, "Airflow retries need idempotent tasks", approve=True),
    Turn(8, 14, "bob", "Our Playwright tests are flaky in CI. Traces on first retry showed the culprit.", (
        learn("Use Playwright traces to debug flaky tests", "Record Playwright traces on the first retry "
              "(trace: 'on-first-retry') and open them with show-trace: the failing step, network and DOM "
              "are all there.", tags=["testing", "frontend"]),
        c("add_memory", memory="Prefers examples in React."),
        session("Bob is fixing flaky Playwright tests.", goal="A green CI"))),
    Turn(8, 17, "bob", "Here's the Java service that builds the invoice feed.", (
        c("add_memory", memory="Writes the backend services in Java."),)),
    Turn(9, 10, "bob", "Wait, I don't write Java: that was a colleague's snippet.", (
        c("delete_memory", find="Writes the backend services in Java"),)),
    Turn(9, 8, "chen", "Summary for this week please; finance signed off the new invoice layout.", (
        c("add_event", entity="Invoicing revamp", event="Finance signed off the new invoice layout.",
          date="2025-03-11"),
        learn("Summaries for managers lead with the decision needed", "When summarising for a manager, open "
              "with the decision you need from them and the deadline; the details follow as bullets.",
              tags=["communication"]),
        session("Weekly revamp summary sent; layout approved by finance."))),
    Turn(9, 15, "priya", "Exact distinct counts are too slow for the dashboards.", (
        team("Use APPROX_COUNT_DISTINCT for dashboards", "Dashboards can use APPROX_COUNT_DISTINCT (about 1% "
             "error) instead of COUNT(DISTINCT): the customer dashboard went from 40 s to 3 s.",
             tags=["bigquery", "dashboards"]),
        c("add_memory", memory="Shares dashboards with finance every Monday."),
        session("Priya sped up the customer dashboard."))),
    Turn(10, 10, "alice", "We should just put every BigQuery project on flat-rate pricing.", (
        learn("Always use BigQuery flat-rate pricing", "Switch every BigQuery project to flat-rate pricing to "
              "make costs predictable.", tags=["bigquery", "cost"]),)),
    Turn(10, 11, "alice", "Reminder: short answers, code first.", (
        c("add_memory", memory="Prefers short answers, with a code sample first"),)),
    Review(11, 16, "Use Playwright traces to debug flaky tests", approve=True),
    Review(11, 16, "Always use BigQuery flat-rate pricing", approve=False,
           reason="Pricing depends on each project's query volume; on-demand is cheaper for most of ours."),
    # -- week 3 ---------------------------------------------------------------------------------
    Turn(14, 9, "alice", "Ops upgraded billing to PostgreSQL 16 over the weekend. I now own the billing pipeline.", (
        c("add_fact", entity="Acme Corp", fact="database: PostgreSQL 16 for billing"),
        c("update_memory", find="Works on the billing data pipeline", memory="Owns the billing data pipeline at Acme."),
        session("Alice is porting the export query to PostgreSQL 16.", goal="Export query on PostgreSQL 16"))),
    HandEdit(14, 15, REVIEWER, "Airflow retries need idempotent tasks", "global",
             "Add a note on how we make exports idempotent",
             "\n## Notes from Dana\nWe write exports with MERGE on the invoice id, so a retry overwrites.\n"),
    Turn(15, 10, "bob", "Honestly CSS grid causes more trouble than it's worth.", (
        learn("Never use CSS grid", "Avoid CSS grid; use flexbox for every layout.", tags=["frontend", "css"]),
        session("Bob is redoing the invoice list layout.", goal="A responsive invoice list"))),
    Turn(16, 8, "chen", "I'm preparing the Q2 roadmap; the beta opened to 20 customers today.", (
        c("add_memory", memory="Is preparing the Q2 roadmap."),
        c("add_event", entity="Invoicing revamp", event="Beta opened to 20 customers.", date="2025-03-19"),
        session("Chen is drafting the Q2 roadmap around the revamp beta."))),
    Turn(16, 14, "priya", "Materialising the heavy dashboard query nightly made Monday's meeting painless.", (
        team("Materialise heavy dashboard queries nightly", "Materialise the heaviest dashboard queries into "
             "tables with a nightly scheduled query; dashboards read the table.", tags=["bigquery", "dashboards"]),
        session("Priya set up nightly materialised tables."))),
    Review(17, 10, "Pin Airflow provider versions", approve=True),
    Review(17, 10, "Summaries for managers lead with the decision needed", approve=True),
    Review(17, 11, "Never use CSS grid", approve=False,
           reason="Wrong: CSS grid works in every browser we support; use it for 2-D layouts."),
    Turn(18, 9, "alice", "FYI my timezone is Europe/Berlin.", (c("add_memory", memory="Timezone: Europe/Berlin"),)),
    # -- week 4 ---------------------------------------------------------------------------------
    Turn(21, 9, "alice", "All our cron jobs run on Airflow now! Next: alert when a DAG runs too long.", (
        c("update_memory", find="Is migrating the team's cron jobs", memory="Finished migrating the team's "
          "cron jobs to Airflow."),
        learn("Alert on DAG duration, not only failure", "Set an SLA or a duration alert on each Airflow DAG: "
              "a stuck export never fails, it just never finishes.", tags=["airflow", "monitoring"]),
        session("Alice is adding duration alerts to the DAGs.", goal="Alerts for slow DAGs",
                plan=["Add SLAs", "Route alerts to the on-call channel"]))),
    Turn(22, 15, "bob", "After a month on invoices I know the lifecycle well.", (
        c("delete_memory", find="Is new to the billing domain"),
        c("add_memory", memory="Knows the invoice lifecycle well."),
        session("Bob is building the invoice status timeline.", goal="Invoice status timeline"))),
    Turn(23, 8, "chen", "We'll ship the beta to 20 more customers in April.", (
        c("log_decision", decision="Ship the invoicing revamp beta to 20 more customers in April.",
          reasoning="The first 20 reported no blocking issues and finance wants the new layout before Q2 close.",
          alternatives=["Wait for the full launch in May"], confidence=0.7),
        c("add_event", entity="Invoicing revamp", event="Beta widened to 40 customers.", date="2025-03-27"),
        session("Chen decided to widen the beta."))),
    Turn(24, 13, "priya", "writes SQL in BigQuery, daily — that's my whole job really.", (
        c("add_memory", memory="writes SQL in BigQuery, daily"),
        session("Priya is checking the revenue numbers for the Q1 close."))),
    # -- week 5 ---------------------------------------------------------------------------------
    Turn(28, 9, "alice", "I'm working from New York for April.", (
        c("add_memory", memory="Timezone: America/New_York"),
        c("update_user_profile", timezone="America/New_York"),
        session("Alice works from New York this month; the DAG alerts are live.", completed_steps=[1, 2]))),
    Turn(29, 14, "bob", "Serving the invoice PDFs from the CDN took the page from 2 s to 300 ms.", (
        learn("Cache invoice PDFs at the CDN", "Invoice PDFs never change once issued: serve them from the CDN "
              "with a long max-age and a content hash in the URL.", tags=["frontend", "performance"]),
        session("Bob put invoice PDFs behind the CDN."))),
    Turn(30, 8, "chen", "Summary please; support tickets about invoices dropped by a third.", (
        c("add_event", entity="Invoicing revamp", event="Invoice support tickets down by a third.",
          date="2025-04-02"),
        session("Chen's weekly summary: tickets down a third."))),
    Review(31, 10, "Cache invoice PDFs at the CDN", approve=True),
    Curation(32, 17, {"max_age_days": {"session": 21}}),  # also prune sessions untouched for three weeks
    # -- week 6 ---------------------------------------------------------------------------------
    Turn(35, 9, "alice", "We're on Airflow 2.10 now.", (
        c("add_fact", entity="Airflow", fact="version: 2.10"),
        session("Alice upgraded Airflow to 2.10.", goal="Airflow 2.10 in production"))),
    Turn(36, 13, "priya", "Update on partitioning: clustering by customer on top cut another 40%.", (
        team("Partition BigQuery tables by invoice date", "Partition invoice tables by invoice_date and filter "
             "on it, and cluster them by customer_id: a month's report scans 30 partitions, and per-customer "
             "queries read a fraction of each.", context="Priya's monthly revenue report scanned 2 TB.",
             tags=["bigquery", "cost"]),
        session("Priya added clustering to the invoice tables."))),
    Turn(37, 8, "chen", "Release notes land better when they quote the customer.", (
        learn("Put the customer's words in release notes", "Quote the customer's own words for the problem a "
              "release fixes; people recognise their request and read on.", tags=["communication"]),)),
    Turn(38, 9, "chen", "Tip for the team: lead every summary for a manager with the decision you need.", (
        learn("Lead summaries for managers with the decision you need", "When you summarise for a manager, "
              "open with the decision you need from them and the deadline; details follow as bullets.",
              tags=["communication"]),)),
    Review(38, 10, "Alert on DAG duration, not only failure", approve=True),
    HandEdit(39, 16, OPS, "Use APPROX_COUNT_DISTINCT for dashboards", "team-data",
             "Remove the approximate-count learning: finance needs exact numbers"),
)
