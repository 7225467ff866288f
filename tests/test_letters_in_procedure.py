"""Letters as the procedure sends them (issue 14, "Letters a standards lawyer would not send
today"): the workflow fills what the templates need, and the wording is read from the outbox."""

from conduct import actions as a
from conduct.vocabulary import AssessmentOutcome
from tests import factories
from tests.harness import CaseDriver
from tests.steps import MO, RECEIVED, open_and_triage


def body(message) -> str:  # noqa: ANN001
    return message.get_body(preferencelist=("plain",)).get_content()


def letter(case, template: str):  # noqa: ANN001, ANN201
    """The first letter of `template` in the case's outbox (its key names the template)."""
    return next(m for m in case.outbox() if f"-{template}/" in str(m["X-Conduct-Idempotency-Key"]))


async def test_a_group_leader_complained_about_is_not_promised_a_letter_and_r2_records_why(
    driver: CaseDriver,
) -> None:
    leader = next(g.member for g in factories.roster().group_leaders if g.council == "worthing")
    await driver.travel_to_day(RECEIVED)
    case = await driver.open(intake=factories.intake(subject_members=[leader]))
    await case.act("triage", a.Triage(officer=MO, notify=True))
    state = await case.status()
    entry = next(t for t in state.timeline if t.event == "group_leader_not_applicable")
    assert "is the Leader of the" in entry.summary
    assert await case.letters("group_leader_informed") == []
    notified = letter(case, "subject_notified")
    text = body(notified)
    assert "Your Group Leader will also be told" not in text
    assert "requires" in text and "asks" not in text.split("8.3")[0][-200:]


async def test_the_informal_outcome_letter_gives_one_verdict_in_plain_words(driver: CaseDriver) -> None:
    case = await open_and_triage(driver)
    assess = a.Assess(
        officer=MO,
        outcome=AssessmentOutcome.INFORMAL,
        actions=["apology"],
        reasons="An apology.",
        tests=factories.TESTED,
    )
    await case.act("assess", assess)
    decision = letter(case, "decision_informal")
    assert "personal apology" in body(decision)
    await case.act("informal_outcome", a.InformalOutcome(officer=MO, resolved=False, text="Apology refused."))
    outcome = letter(case, "informal_outcome")
    text = body(outcome)
    assert "has not resolved the complaint" in text
    assert "has been not resolved" not in text
    assert "has resolved the complaint" not in text
