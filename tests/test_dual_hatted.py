"""Issue 14, "Dual-hatted members": a councillor may sit on a district and a parish council. The
roster gives them several memberships; a complaint says in which capacity they acted (its
`council`, checked against their memberships by the form and the webhook alike), and that
council hears it: hearing council, letters, and the Group Leader of their group on that council."""

from __future__ import annotations

import re
from datetime import date

import pytest
from pydantic import ValidationError
from temporalio.testing import WorkflowEnvironment

from conduct import actions as a
from conduct.roster import Membership, Roster
from conduct.roster_file import roster_from_data
from conduct.roster_store import save_roster
from starter.complaints import IntakeRefused, check_against_roster
from starter.roster_io import roster_data_from_csv, roster_to_csv
from starter.web.forms import ApiComplaint, check_answers
from tests import factories
from tests.harness import Case, CaseDriver
from tests.steps import MO, RECEIVED
from tests.web_fixtures import api_body as web_api_body
from tests.web_fixtures import running_web

# Victor Hale (lpc-01) sits on Lancing Parish Council as an Independent, and on Adur District
# Council for the Conservatives, whose Adur leader is Kenneth Ashdown (adc-01).
MEMBER = "lpc-01"


def dual_roster() -> Roster:
    roster = factories.roster()
    member = roster.member(MEMBER)
    assert member is not None
    member.memberships = [Membership(council="adur", group="Conservative")]
    return roster


def _api(council: str, members: list[str]) -> ApiComplaint:
    return ApiComplaint.model_validate(
        {
            "complainant": {"name": "H Lomax", "email": "h@example.org", "address": "1 High St", "type": "public"},
            "council": council,
            "subject_members": members,
            "conduct_dates": [date(2029, 10, 1)],
            "provisions": ["respect"],
            "description": "At the meeting the councillor shouted at me and called me a liar in public.",
        }
    )


def test_the_roster_holds_several_memberships_and_checks_them() -> None:
    roster = dual_roster()
    member = roster.member(MEMBER)
    assert member is not None
    assert member.councils == ["lancing-parish", "adur"] and member.sits_on("adur")
    assert member.group_on("adur") == "Conservative" and member.group_on("lancing-parish") == "Independent"
    assert MEMBER in [m.id for m in roster.members_of("adur")]
    assert roster.problems() == []
    member.memberships.append(Membership(council="west-sussex", group="Conservative"))
    assert roster.problems() == ["member 'lpc-01' also sits on unknown council 'west-sussex'"]

    # A roster file says so strictly (an unknown field in a membership is refused), and CSV keeps it.
    data = dual_roster().model_dump(mode="json")
    assert roster_from_data(data).member(MEMBER).memberships == [Membership(council="adur", group="Conservative")]
    data["members"][-3]["memberships"][0]["seat"] = "Lancing ward"
    with pytest.raises(ValidationError, match="seat"):
        roster_from_data(data)
    again = roster_from_data(roster_data_from_csv(roster_to_csv(dual_roster())))
    assert again.member(MEMBER).memberships == [Membership(council="adur", group="Conservative")]


def test_the_form_and_the_webhook_accept_the_capacity_the_member_acted_in() -> None:
    roster = dual_roster()
    today = date(2029, 11, 5)
    for council in ("adur", "lancing-parish"):  # either of their councils
        answers = _api(council, [MEMBER]).answers()
        assert check_answers(answers, roster, today, require_identity=False) == []
        check_against_roster(factories.intake(council=council, subject_members=[MEMBER]), roster)
    # Not a council they sit on: refused, naming the member and the council.
    problems = check_answers(_api("worthing", [MEMBER]).answers(), roster, today, require_identity=False)
    assert [p.field for p in problems] == ["subject_members"]
    assert "Victor Hale is not a member of Worthing Borough Council" in problems[0].message
    with pytest.raises(IntakeRefused, match="not a member of Worthing Borough Council"):
        check_against_roster(factories.intake(council="worthing", subject_members=[MEMBER]), roster)
    # Without the membership, the district capacity is refused as before.
    with pytest.raises(IntakeRefused, match="not a member of Adur District Council"):
        check_against_roster(factories.intake(council="adur", subject_members=[MEMBER]), factories.roster())


def _letter_to(case: Case, template: str) -> list[tuple[str, str]]:
    out = []
    for m in case.outbox():
        if f"-{template}/" in m["X-Conduct-Idempotency-Key"]:
            out.append((str(m["To"]), m.get_body(preferencelist=("plain",)).get_content()))
    return out


async def test_a_complaint_about_the_district_capacity_is_heard_by_the_district(driver: CaseDriver) -> None:
    await driver.travel_to_day(RECEIVED)
    intake = factories.intake(council="adur", subject_members=[MEMBER])
    case = await driver.open("ADC-2029-0001", intake=intake, roster=dual_roster())
    await case.act("triage", a.Triage(officer=MO, notify=True))
    await case.settle()
    state = await case.status()
    assert state.council == "adur" and state.hearing_council == "adur"
    assert state.subject_groups == {MEMBER: "Conservative"}  # their group on the district council
    # R2: the Group Leader of their group on that council, Kenneth Ashdown, is informed.
    informed = _letter_to(case, "group_leader_informed")
    assert [to for to, _ in informed] == ["Kenneth Ashdown <kenneth.ashdown@adur.example>"]
    notified = _letter_to(case, "subject_notified")
    assert len(notified) == 1 and "Adur District Council" in notified[0][1]
    assert "Lancing Parish Council" not in notified[0][1]
    assert _letter_to(case, "decision_no_action") == []


async def test_a_complaint_about_the_parish_capacity_is_the_parish_councils(driver: CaseDriver) -> None:
    await driver.travel_to_day(RECEIVED)
    intake = factories.intake(council="lancing-parish", subject_members=[MEMBER])
    case = await driver.open("LPC-2029-0001", intake=intake, roster=dual_roster())
    await case.act("triage", a.Triage(officer=MO, notify=True))
    await case.settle()
    state = await case.status()
    assert state.council == "lancing-parish" and state.hearing_council == "adur"  # the parish's principal
    assert state.subject_groups == {MEMBER: "Independent"}
    assert _letter_to(case, "group_leader_informed") == []  # no leader of Adur's Conservatives here
    skipped = [t.summary for t in state.timeline if t.event == "group_leader_not_applicable"]
    assert skipped == [
        "R2 (inform the Group Leader) does not apply: Councillor Victor Hale (Independent) has no Group Leader"
    ]
    notified = _letter_to(case, "subject_notified")
    assert len(notified) == 1 and "Lancing Parish Council" in notified[0][1]


async def test_the_webhook_and_the_form_page_take_a_dual_hatted_member(
    env: WorkflowEnvironment,
    settings,  # noqa: ANN001
) -> None:
    async with running_web(env, settings) as web:
        save_roster(web.engine, dual_roster())
        page = (await web.http.get("/complain")).text
        # Listed under each council they sit on, with their group there, each box with its own id.
        assert 'id="member-adur-lpc-01"' in page and 'id="member-lancing-parish-lpc-01"' in page
        assert "Victor Hale (Conservative)" in page and "Victor Hale (Independent)" in page
        assert "choose the one they were acting for" in page
        ids = re.findall(r'id="([^"]+)"', page)
        assert len(ids) == len(set(ids))

        created = await web.post_api(web_api_body(council="adur", subject_members=[MEMBER]), key="dual-1")
        assert created.status_code == 201, created.text
        assert created.json()["reference"].startswith("ADC-")
        refused = await web.post_api(web_api_body(council="worthing", subject_members=[MEMBER]), key="dual-2")
        assert refused.status_code == 422 and "Victor Hale is not a member of Worthing Borough Council" in refused.text
