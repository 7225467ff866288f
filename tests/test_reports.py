"""Reports from the workflows' own record: six cases driven on the time-skipping server, mirrored
into the register by sync_case, then every report checked against figures worked out by hand.

The seeded year (all received Monday 5 November 2029; the assessment clock, 20 working days, is
due Monday 3 December 2029):
  0001 wbc-04 Labour, public (harriet.lomax@example.org)      assessed no action 20 Nov   -> closed no_action
  0002 wbc-04 Labour, public (HARRIET.Lomax@Example.org, confidential)
                                     assessed investigate 20 Nov; IO appointed 10 Dec (due 4 Dec: 6 days late)
  0003 wbc-05 Green, officer          assessed informal 6 Dec (3 days late); resolved 10 Dec -> resolved_informally
  0004 wbc-01 Conservative, councillor (wbc-07)  never assessed: assessment lapsed, overdue
  0005 adc-03 Labour (Adur), parish clerk        assessed no action 20 Nov -> closed no_action
  0006 wbc-04 Labour, public (harriet.lomax@example.org)      assessed informal 20 Nov, still open
"""

from __future__ import annotations

import csv
import email
import email.policy
import io
import json
from datetime import date

from sqlalchemy.orm import Session
from typer.testing import CliRunner

from activities.reports import render_report
from conduct import actions as a
from conduct import reports
from conduct.register import make_engine
from conduct.reports import CaseRecord, ReportRecipient, SendReport
from conduct.roster_store import save_roster
from conduct.settings import get_settings
from conduct.vocabulary import AssessmentOutcome, ClockName, ComplainantType, NoActionGround, RecipientRole
from starter.cli import app
from tests import factories
from tests.harness import Case, CaseDriver
from tests.steps import MO, RECEIVED
from workflows.reporting import ReportingWorkflow

AS_OF = date(2029, 12, 31)
Q4 = reports.quarter(2029, 4)


def _intake(subject: str, council: str = "worthing", **complainant: object) -> object:
    person = {
        "name": "Harriet Lomax",
        "email": "harriet.lomax@example.org",
        "type": ComplainantType.PUBLIC,
        **complainant,
    }
    return factories.intake(council=council, subject_members=[subject], complainant=person)


async def seed(driver: CaseDriver) -> dict[str, Case]:
    await driver.travel_to_day(RECEIVED)
    specs = {
        "WBC-2029-0001": _intake("wbc-04"),
        "WBC-2029-0002": factories.intake(
            complainant={"name": "Harriet Lomax", "email": "HARRIET.Lomax@Example.org"},
            confidential=True,
            confidentiality_reason="Fears reprisals.",
        ),
        "WBC-2029-0003": _intake("wbc-05", name="Olu Adebayo", email="olu.adebayo@worthing.example", type="officer"),
        "WBC-2029-0004": _intake(
            "wbc-01",
            name="Gwendolyn Marsh",
            email="gwendolyn.marsh@worthing.example",
            type="councillor",
            member_id="wbc-07",
        ),  # fmt: skip
        "ADC-2029-0005": _intake(
            "adc-03", council="adur", name="Yvonne Partridge", email="clerk@lancing-parish.example", type="parish_clerk"
        ),
        "WBC-2029-0006": _intake("wbc-04"),
    }
    cases = {}
    for reference, intake in specs.items():
        case = await driver.open(reference, intake=intake)
        await case.act("triage", a.Triage(officer=MO, notify=True))
        await case.act("consult_ip", a.ConsultIndependentPerson(officer=MO, ip="ip-1", view="Noted."))
        cases[reference] = case
    no_action = a.Assess(
        officer=MO,
        outcome=AssessmentOutcome.NO_ACTION,
        grounds=[NoActionGround.TRIVIAL],
        reasons="Too minor.",
        tests=factories.UNMERITED,
    )
    informal = a.Assess(
        officer=MO,
        outcome=AssessmentOutcome.INFORMAL,
        actions=["apology"],
        reasons="An apology.",
        tests=factories.TESTED,
    )
    await driver.travel_to_day(date(2029, 11, 20))
    await cases["WBC-2029-0001"].act("assess", no_action)
    await cases["WBC-2029-0002"].act(
        "assess",
        a.Assess(officer=MO, outcome=AssessmentOutcome.INVESTIGATE, reasons="Serious.", tests=factories.TESTED),
    )
    await cases["ADC-2029-0005"].act("assess", no_action)
    await cases["WBC-2029-0006"].act("assess", informal)
    await driver.travel_to_day(date(2029, 12, 6))
    await cases["WBC-2029-0003"].act("assess", informal)
    await driver.travel_to_day(date(2029, 12, 10))
    await cases["WBC-2029-0002"].act("appoint_investigator", a.AppointInvestigator(officer=MO, investigator="io-1"))
    await cases["WBC-2029-0003"].act(
        "informal_outcome", a.InformalOutcome(officer=MO, resolved=True, text="Apology accepted.")
    )
    return cases  # each action returns once the register has caught up


def _load(driver: CaseDriver, **kwargs: object) -> list[CaseRecord]:
    engine = make_engine(driver.settings.resolved_database_url)
    try:
        with Session(engine) as s:
            return reports.load_cases(s, **kwargs)
    finally:
        engine.dispose()


def _cli(driver: CaseDriver, *args: str) -> str:
    environ = {
        "CONDUCT_DATA_DIR": str(driver.settings.data_dir),
        "CONDUCT_DATABASE_URL": driver.settings.resolved_database_url,
        "CONDUCT_OFFICER": "mo",
        "COLUMNS": "250",
    }
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, list(args), env=environ)
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    return result.stdout


async def test_reports_from_a_seeded_year(driver: CaseDriver) -> None:
    cases = await seed(driver)
    engine = make_engine(driver.settings.resolved_database_url)
    save_roster(engine, factories.roster())  # the CLI and the report activities read the roster in force
    engine.dispose()
    records = _load(driver, received_from=date(2029, 11, 1), received_to=date(2029, 11, 30))
    assert [r.reference for r in records] == list(cases)

    # ---------------------------------------------------------------- review
    r = reports.review(records, AS_OF)
    by = {s.clock: s for s in r.clocks}
    a_ = by[ClockName.ASSESSMENT]
    # 6 assessment clocks: met on 20 Nov by 0001, 0002, 0005, 0006 (15 days each); 0003 met late on
    # 6 Dec (due 3 Dec: 3 days late, 31 days taken); 0004 lapsed, 28 days overdue on 31 Dec.
    assert (a_.total, a_.met, a_.met_late, a_.lapsed, a_.pending) == (6, 4, 1, 1, 0)
    assert a_.late_days == [3] and a_.overdue_days == [28]
    assert (a_.median_days, a_.worst_days, a_.worst_reference) == (15.0, 31, "WBC-2029-0003")
    io_ = by[ClockName.INVESTIGATOR_APPOINTMENT]
    # 0002: started 20 Nov, due 4 Dec (14 days), met 10 Dec: 6 days late, 20 days taken.
    assert (io_.total, io_.met_late, io_.late_days, io_.median_days, io_.worst_days) == (1, 1, [6], 20.0, 20)
    assert by[ClockName.INVESTIGATION].pending == 1  # 0002's two-month investigation is running
    t = r.totals
    assert (t.total, t.met, t.met_late, t.lapsed, t.pending) == (8, 4, 2, 1, 1)
    assert r.closed == {"no_action": 2, "resolved_informally": 1}
    assert (r.cases, r.open_cases) == (6, 3)

    # the review agrees with each case's `status` query (what `conduct show` prints)
    lines = {(line.reference, line.clock): line for line in r.lines}
    shown = 0
    for reference, case in cases.items():
        state = await case.status()
        for name, clock in state.clocks.items():
            line = lines[(reference, name)]
            assert (line.due, line.state, line.met_on) == (clock.due, clock.state, clock.met_on)
            shown += 1
    assert shown == len(r.lines) == 8
    assert cases["WBC-2029-0004"] and (await cases["WBC-2029-0004"].status()).overdue

    review_json = json.loads(_cli(driver, "review", "--from", "2029-11-01", "--to", "2029-11-30",
                                  "--as-of", "2029-12-31", "--json"))  # fmt: skip
    assert review_json["totals"]["met_late"] == 2 and review_json["closed"] == r.closed
    assert "WBC-2029-0003" in _cli(driver, "review", "--as-of", "2029-12-31")

    # ---------------------------------------------------------------- groups
    stats = {(g.council, g.group): g for g in reports.group_statistics(_load(driver), 2029)}
    assert sorted(stats) == [
        ("adur", "Labour"),
        ("worthing", "Conservative"),
        ("worthing", "Green"),
        ("worthing", "Labour"),
    ]
    rows = {(c, g, row.source): row for (c, g), s in stats.items() for row in s.rows}
    labour = rows[("worthing", "Labour", "public")]  # 0001 no action, 0006 informal, 0002 investigation
    assert (labour.assessment, labour.informal_resolution, labour.investigation, labour.hearing, labour.total) == (
        1, 1, 1, 0, 3,
    )  # fmt: skip
    assert rows[("worthing", "Green", "officers")].informal_resolution == 1  # 0003
    assert rows[("worthing", "Conservative", "councillors")].assessment == 1  # 0004, still open
    assert rows[("adur", "Labour", "officers")].assessment == 1  # 0005: a parish clerk counts as an officer
    assert sum(row.total for row in rows.values()) == 6
    assert sum(row.breach_found for row in rows.values()) == 0
    table = list(csv.DictReader(io.StringIO(_cli(driver, "report", "groups", "--year", "2029", "--format", "csv"))))
    assert len(table) == 12  # four groups x three sources
    labour_csv = next(
        t for t in table if t["group"] == "Labour" and t["council"] == "worthing" and t["source"] == "public"
    )
    assert labour_csv["total"] == "3" and labour_csv["investigation"] == "1"
    assert json.loads(_cli(driver, "report", "groups", "--year", "2030", "--format", "json")) == []

    # ---------------------------------------------------------------- patterns
    found = {(p.kind, p.who): p for p in reports.patterns(_load(driver))}
    member = found[("subject_member", "wbc-04")]
    assert member.references == ["WBC-2029-0001", "WBC-2029-0002", "WBC-2029-0006"]
    assert member.outcomes == {"no_action": 1, "open": 2}  # the dismissed complaint counts
    masked = found[("complainant", "h***@e***.org")]  # one of her complaints is confidential
    assert masked.masked and masked.complaints == 3
    assert len(found) == 2
    printed = _cli(driver, "report", "patterns", "--json")
    assert "harriet.lomax@example.org" not in printed.lower() and "Desmond Achterberg" in printed

    # no case of the seeded year reached a published decision notice (R12)
    assert json.loads(_cli(driver, "export", "decisions", "--format", "json")) == []
    assert _cli(driver, "export", "decisions").splitlines() == ["reference,council,published_at,text"]

    # ---------------------------------------------------------------- the reporting workflow
    result = await driver.client.execute_workflow(
        ReportingWorkflow.run,
        reports.ReportRequest(period=Q4),
        id="reports-2029-Q4",
        task_queue=driver.settings.task_queue,
    )
    # two committee chairs, one Monitoring Officer, eight Group Leaders
    assert len(result.receipts) == 11 and not any(x.duplicate for x in result.receipts)
    again = await driver.client.execute_workflow(
        ReportingWorkflow.run,
        reports.ReportRequest(period=Q4),
        id="reports-2029-Q4-again",
        task_queue=driver.settings.task_queue,
    )
    assert all(x.duplicate for x in again.receipts)
    mails = [
        email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
        for p in sorted(driver.outbox.glob("REPORT-2029-Q4-*.eml"))
    ]
    assert len(mails) == 11
    leader = next(m for m in mails if m["To"].addresses[0].addr_spec == "catherine.pryce@worthing.example")
    body = leader.get_body(("html",)).get_content()
    assert "Labour (worthing)" in body and "Green" not in body and "Conservative" not in body
    assert "WBC-2029-" not in body  # no case references for a Group Leader
    attachment = next(leader.iter_attachments())
    assert attachment.get_content_type() == "text/csv"
    leader_rows = list(csv.DictReader(io.StringIO(attachment.get_content())))
    assert {(x["council"], x["group"]) for x in leader_rows} == {("worthing", "Labour")}
    assert [x["total"] for x in leader_rows] == ["3", "0", "0"]
    green = next(m for m in mails if m["To"].addresses[0].addr_spec == "eleanor.whitcombe@worthing.example")
    assert "Labour" not in green.get_body(("html",)).get_content()
    mo = next(m for m in mails if m["To"].addresses[0].addr_spec == "joanna.whitlock@adur-worthing.example")
    mo_html = mo.get_body(("html",)).get_content()
    assert "WBC-2029-0003" in mo_html and "Labour (adur)" in mo_html and "Green (worthing)" in mo_html


def test_render_for_a_group_leader_holds_only_their_group() -> None:
    records = [
        CaseRecord(
            reference=f"WBC-2029-000{i}",
            council="worthing",
            stage="closed",
            outcome="no_action",
            received_at=factories.RECEIVED_AT.replace(year=2029, month=11),
            subject_members=[member],
            subject_groups={member: group},
            complainant_type="public",
            subject_notified=True,
        )
        for i, (member, group) in enumerate([("wbc-04", "Labour"), ("wbc-05", "Green")], start=1)
    ]
    leader = ReportRecipient(
        role=RecipientRole.GROUP_LEADER, id="wbc-03", name="Catherine Pryce", email="c@x.example", council="worthing",
        group="Labour",
    )  # fmt: skip
    rendered = render_report(
        SendReport(period=Q4, recipient=leader, as_of=AS_OF), records, get_settings().templates_dir
    )
    assert "Labour" in rendered.html and "Green" not in rendered.html and "Green" not in rendered.text
    assert "WBC-2029-0001" not in rendered.html
    assert rendered.csv.count("\n") == 4  # header + three sources


def test_periods_and_masks() -> None:
    assert [p.label for p in reports.periods_before(date(2030, 4, 1))] == ["2030-Q1"]
    assert [p.label for p in reports.periods_before(date(2030, 1, 1))] == ["2029-Q4", "2029"]
    assert reports.quarter(2030, 1).end == date(2030, 3, 31)
    assert reports.mask_email("harriet.lomax@example.org") == "h***@e***.org"
