"""Sections 3-4 as pure checks (conduct/rules.py calls them): the tests every assessment records,
the parish referral's condition, the referrals' answers, and the hearing's attendance (R9).

Checks that judge only the payload, or were added after histories were recorded, run in the
update validator only (rules.PAYLOAD_CHECKS, rules.ARRIVAL_CHECKS), never in the re-check after the
lock, so a recorded history that was accepted before them replays unchanged.
"""

from __future__ import annotations

from datetime import date

from conduct import actions as a
from conduct.case import CaseState
from conduct.roster import Roster
from conduct.vocabulary import AssessmentOutcome, CouncilKind, InitialTest, NoActionGround

# R4's grounds that are an initial test not met, and those that are the public interest test not met.
GROUND_TEST: dict[NoActionGround, InitialTest] = {
    NoActionGround.NOT_AS_MEMBER: InitialTest.CODE_ENGAGED,
    NoActionGround.TIME_BARRED: InitialTest.WITHIN_TIME,
    NoActionGround.ANONYMOUS: InitialTest.IDENTIFIED,
}
PUBLIC_INTEREST_GROUNDS = frozenset(
    {
        NoActionGround.TRIVIAL,
        NoActionGround.MALICIOUS,
        NoActionGround.VEXATIOUS,
        NoActionGround.POLITICALLY_MOTIVATED,
        NoActionGround.TIT_FOR_TAT,
    }
)
# Timeline events after which the case is assessed afresh (an IP consulted again first).
RETURN_EVENTS = ("association_returned", "police_returned")


def _cli(value: str) -> str:
    return value.replace("_", "-")


def tests_refusal(p: a.Assess) -> str | None:
    """Every assessment records the initial tests and the public interest test, and its outcome
    fits them: an investigation needs every test met; informal resolution every initial test; a
    ground for no action that is a test not met needs that test recorded as not met."""
    t = p.tests
    if t is None:
        return (
            "record the initial tests and the public interest test with every assessment (sections 3-4): "
            "--tests-met or --test-failed TEST, and --public-interest met|not-met with --public-interest-reason TEXT"
        )
    failed = ", ".join(_cli(x.value) for x in t.failed)
    if p.outcome is AssessmentOutcome.INVESTIGATE and (t.failed or not t.public_interest):
        why = f"the initial tests not met ({failed})" if t.failed else "the public interest test not met"
        return f"an investigation needs every initial test and the public interest test met; with {why}, use no-action"
    if p.outcome is AssessmentOutcome.INFORMAL and t.failed:
        return f"informal resolution needs every initial test met; not met: {failed}"
    for ground in p.grounds:
        test = GROUND_TEST.get(ground)
        if test is not None and test not in t.failed:
            t_word = _cli(test.value)
            return f"the ground {_cli(ground.value)} is the initial test {t_word} not met: add --test-failed {t_word}"
        if ground in PUBLIC_INTEREST_GROUNDS and t.public_interest:
            return f"the ground {_cli(ground.value)} is the public interest test not met (--public-interest not-met)"
    return None


def association_refusal(case: CaseState, roster: Roster) -> str | None:
    """Section 4, "Parish Council Members": the MO may refer a complaint to the county association
    only where the complainant is a member of the same parish council as the subject member."""
    council = roster.council(case.council)
    if not council or council.kind is not CouncilKind.PARISH:
        return "only a parish member's complaint can be referred to the county association (R3)"
    complainant = case.intake.complainant.member_id
    if not complainant or not any(m.id == complainant and m.council == case.council for m in roster.members):
        return (
            f"the complainant is not a member of {council.name}: section 4 refers a complaint to the county "
            "association only where the complainant is a member of the same parish council as the subject member"
        )
    return None


def arrival_refusal(case: CaseState, roster: Roster, p: a.Assess, today: date) -> str | None:
    """Checked when the decision arrives (the validator), not on the re-check: the parish referral's
    condition came after referrals were recorded without it."""
    if p.outcome is AssessmentOutcome.REFER:
        return association_refusal(case, roster)
    return None


def consulted_since_return(case: CaseState) -> str | None:
    """A case the association or the police sent back is assessed afresh: an IP is consulted again."""
    back = next((t.at for t in reversed(case.timeline) if t.event in RETURN_EVENTS), None)
    if back is not None and not any(c.at >= back for c in case.consultations):
        return "the case came back for a fresh assessment: consult an Independent Person again first (R2)"
    return None


def attendance_refusal(p: a.RecordHearingOutcome) -> str | None:
    """R9: the hearing outcome says whether the subject member attended, and if not, that the panel
    proceeded in their absence and why (else it adjourns: adjourn-hearing)."""
    if p.attended is None:
        return "record whether the subject member attended the hearing (--attended yes|no)"
    if p.attended is False and not p.proceeded_in_absence:
        return (
            "the subject member did not attend: record that the panel proceeded in their absence "
            "(--proceeded-in-absence --reason TEXT), or adjourn the hearing (adjourn-hearing)"
        )
    return None
