"""R12 on the time-skipping server: issue-notice drafts the public notice; the MO's approval
publishes it; a text naming the complainant is refused; a published notice can be withdrawn and
corrected; each step is in the case's history.

The reproduction (issue 13): a confidential complainant's name and address, quoted in the
Investigating Officer's final report, went onto the public web word for word at issue-notice,
under a page promising that the complainant is never named.
"""

from __future__ import annotations

from datetime import date

import httpx
import pytest
from sqlalchemy.orm import Session

from conduct import actions as a
from conduct.intake import Complainant
from conduct.publication import NoticeStatus
from conduct.register import PublishedNoticeRow, make_engine
from conduct.vocabulary import Finding, Outcome, Provision, Sanction, Stage
from starter.client import DATA_CONVERTER
from starter.timeline import timeline_of
from starter.web.app import create_app
from tests import factories
from tests.harness import Case, CaseDriver, Refused
from tests.steps import DEM, IO, MO, open_and_triage, panel_for, refer_and_investigate, roles_for
from tests.web_fixtures import NoTemporal, prepared_engine, web_config

NAME, ADDRESS = "Priya Shah", "14 Lyndhurst Road, Worthing BN11 2DB"
LEAKING_REPORT = (
    f"Ms {NAME}, of {ADDRESS}, attended the Planning Committee on 20 February 2026 as an objector.\n\n"
    "The councillor shouted at her from the dais and called her a liar. Witnesses confirm it."
)
PUBLIC_STATEMENT = (
    "A member of the public spoke as an objector at the Planning Committee on 20 February 2026. "
    "The councillor shouted at the objector from the dais and called the objector a liar."
)


def confidential_intake():  # noqa: ANN201
    return factories.intake(
        complainant=Complainant(name=NAME, email="p.shah@example.org", address=ADDRESS, phone="01903 221876"),
        confidential=True,
        confidentiality_reason="I fear reprisals from the councillor's supporters.",
    )


async def decided_case(driver: CaseDriver, report: str = LEAKING_REPORT) -> Case:
    """A breach found at a hearing on 6 March 2030, with the IP's view and the provisions breached."""
    case = await open_and_triage(driver, intake=confidential_intake())
    await refer_and_investigate(driver, case)
    await driver.travel_to_day(date(2030, 1, 7))
    await case.act("final_report", a.FinalReport(officer=IO, finding=Finding.BREACH, text=report, reviewed=True))
    panel = panel_for("worthing", {factories.intake().subject_members[0]})
    await case.act("schedule_hearing", a.ScheduleHearing(officer=DEM, date=date(2030, 3, 6), panel=panel, ip="ip-3"))
    await driver.travel_to_day(date(2030, 3, 6), hour=16)
    outcome = dict(
        officer=DEM, finding=Finding.BREACH, sanctions=[Sanction.FORMAL_LETTER], reasons="Disrespect.", attended=True
    )
    with pytest.raises(Refused, match=r"Independent Person's view .*--ip-view"):
        await case.act("hearing_outcome", a.RecordHearingOutcome(**outcome))
    with pytest.raises(Refused, match="provisions of the Code found breached"):
        await case.act("hearing_outcome", a.RecordHearingOutcome(**outcome, ip_view="A breach."))
    await case.act(
        "hearing_outcome",
        a.RecordHearingOutcome(
            **outcome, breached=[Provision.RESPECT], ip_view="The Independent Person considered it a clear breach."
        ),
    )
    return case


def notice_row(driver: CaseDriver, reference: str) -> PublishedNoticeRow | None:
    with Session(make_engine(driver.settings.resolved_database_url)) as session:
        row = session.get(PublishedNoticeRow, reference)
        if row is not None:
            session.expunge(row)
        return row


async def page(driver: CaseDriver, path: str) -> httpx.Response:
    app = create_app(driver.settings, web_config(), NoTemporal(), engine=prepared_engine(driver.settings))  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http:
        return await http.get(path)


async def test_the_leak_is_refused_then_redacted_published_withdrawn_and_corrected(driver: CaseDriver) -> None:
    case = await decided_case(driver)
    ref = case.reference
    await driver.travel_to_day(date(2030, 3, 12))

    # issue-notice writes to the parties (R11) and only drafts the public notice (R12).
    result = await case.act("issue_notice", a.IssueNotice(officer=MO))
    assert result.stage == Stage.CLOSED and "draft" in result.message
    state = await case.status()
    assert state.outcome is Outcome.BREACH and not state.published
    assert state.notice and state.notice.status is NoticeStatus.DRAFT
    assert roles_for(await case.letters(), "decision_notice") == [
        "complainant", "group_leader", "investigating_officer", "subject_member"
    ]  # fmt: skip
    assert notice_row(driver, ref) is None
    assert (await page(driver, f"/decisions/{ref}")).status_code == 404
    assert "publish (" in " ".join(state.allowed)

    # The leak: the IO's report names the confidential complainant and gives her address.
    with pytest.raises(Refused) as refused:
        await case.act("publish", a.Publish(officer=MO))
    reason = str(refused.value)
    assert 'the complainant\'s name in "Statement of facts", paragraph 1' in reason
    assert 'the complainant\'s address in "Statement of facts", paragraph 1' in reason
    assert NAME not in reason and "Lyndhurst" not in reason and "BN11" not in reason  # the refusal is logged
    assert notice_row(driver, ref) is None

    # Only part redacted: still refused, for what is left.
    with pytest.raises(Refused, match="the complainant's address") as refused:
        await case.act("publish", a.Publish(officer=MO, redactions=[NAME]))
    assert "the complainant's name" not in str(refused.value)
    with pytest.raises(Refused, match="the second text to redact occurs nowhere"):
        await case.act("publish", a.Publish(officer=MO, redactions=[NAME, "Acacia Avenue"]))
    with pytest.raises(Refused, match="has not been published yet"):
        await case.act("publish", a.Publish(officer=MO, redactions=[NAME], correct=True))
    with pytest.raises(Refused, match="the decision notice is draft, not published"):
        await case.act("unpublish", a.Unpublish(officer=MO, reason="x"))
    with pytest.raises(Refused, match="it needs deputy_monitoring_officer or monitoring_officer"):
        await case.act("publish", a.Publish(officer=IO, redactions=[NAME, "14 Lyndhurst Road", "BN11 2DB"]))

    # Redacted: published.
    await driver.travel_to_day(date(2030, 3, 13))
    result = await case.act("publish", a.Publish(officer=MO, redactions=[NAME, "14 Lyndhurst Road", "BN11 2DB"]))
    assert f"/decisions/{ref}" in result.message
    row = notice_row(driver, ref)
    assert row and row.status == "published" and row.version == 1 and row.outcome == "breach"
    assert row.decided_on == date(2030, 3, 6) and row.councillors == ["Desmond Achterberg"]
    assert NAME not in row.text and "Lyndhurst" not in row.text and "BN11" not in row.text
    assert "Ms [redacted], of [redacted], Worthing [redacted], attended" in row.text
    assert "The Independent Person considered it a clear breach." in row.text and "- 1. Respect" in row.text
    assert "Hearing: 6 March 2030" in row.text and "2030-03-06" not in row.text
    response = await page(driver, f"/decisions/{ref}")
    assert response.status_code == 200 and NAME not in response.text
    assert response.text.count("<h1") == 1 and "<pre" not in response.text
    assert '<h2 class="heading-m">Provisions of the Code of Conduct found breached</h2>' in response.text
    state = await case.status()
    assert state.published and state.notice and state.notice.status is NoticeStatus.PUBLISHED
    with pytest.raises(Refused, match="was published on 13 March 2030; to change it, publish --correct"):
        await case.act("publish", a.Publish(officer=MO))

    # Withdrawn: the page answers 410 and says so.
    await driver.travel_to_day(date(2030, 3, 20))
    await case.act("unpublish", a.Unpublish(officer=MO, reason="The statement of facts is too detailed."))
    row = notice_row(driver, ref)
    assert row and row.status == "withdrawn" and row.text == "" and row.content is None
    response = await page(driver, f"/decisions/{ref}")
    assert response.status_code == 410 and "This decision notice was withdrawn on 20 March 2030" in response.text
    assert ref not in (await page(driver, "/decisions")).text
    with pytest.raises(Refused, match="withdrawn on 20 March 2030; republish it with --correct"):
        await case.act("publish", a.Publish(officer=MO, statement=PUBLIC_STATEMENT))

    # Corrected: republished with a brief statement for the public.
    await driver.travel_to_day(date(2030, 3, 25))
    await case.act("publish", a.Publish(officer=MO, statement=PUBLIC_STATEMENT, correct=True))
    row = notice_row(driver, ref)
    assert row and row.status == "published" and row.version == 3
    assert PUBLIC_STATEMENT in row.text and "Corrected on 25 March 2030" in row.text
    assert row.published_at.date() == date(2030, 3, 13)  # first publication kept
    response = await page(driver, f"/decisions/{ref}")
    assert response.status_code == 200 and "Corrected on 25 March 2030" in response.text

    # Each step is in the case's history and timeline.
    state = await case.status()
    events = [t.event for t in state.timeline if t.event in ("published", "notice_withdrawn", "notice_corrected")]
    assert events == ["published", "notice_withdrawn", "notice_corrected"]
    entries = await timeline_of(await case.handle.fetch_history(), DATA_CONVERTER)
    actions = [e.name for e in entries if e.kind == "action"]
    assert actions[-4:] == ["issue_notice", "publish", "unpublish", "publish"]
    assert [e.name for e in entries if e.kind == "published"] == [
        "decision_notice",
        "notice_withdrawn",
        "decision_notice",
    ]

    # The case stays open for its notice for the publication window (365 days), then ends.
    assert await case.handle.result()


async def test_a_brief_statement_for_the_public_is_published_at_once(driver: CaseDriver) -> None:
    case = await decided_case(driver)
    await driver.travel_to_day(date(2030, 3, 12))
    await case.act("issue_notice", a.IssueNotice(officer="deputy"))
    await case.act("publish", a.Publish(officer="deputy", statement=PUBLIC_STATEMENT))
    row = notice_row(driver, case.reference)
    assert row and PUBLIC_STATEMENT in row.text and NAME not in row.text and "Corrected" not in row.text
    state = await case.status()
    assert state.notice and state.notice.content.statement == LEAKING_REPORT  # the draft stays on the case
