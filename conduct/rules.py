"""The procedure's rules R1-R15 as pure checks: who may take which action, in which stage,
and what else must hold. The workflow's update validators call `refusal`; `allowed_now` feeds
the `status` query and every refusal message.

Rules that are sequencing rather than permission (which letters go when, which clock starts)
live in workflows/complaint.py, which reads in the order of the procedure and cites each rule.
"""

from collections.abc import Callable
from datetime import date
from typing import Any, NamedTuple

from pydantic import BaseModel

from conduct import actions as a
from conduct import (
    assessment_rules,  # sections 3-4: tests, referrals, attendance
    hearing_rules,
    investigation_rules,
    lead_rules,  # R14: lead cases and their followers
    postal,
    publication_rules,
    record_rules,
    sanctions,
)
from conduct.calendar import WorkingCalendar, london_date
from conduct.case import CaseState
from conduct.confidentiality import text_refusal
from conduct.intake import StartComplaint
from conduct.roster import Roster
from conduct.vocabulary import (
    AssessmentOutcome,
    ClockName,
    ClockState,
    ComplainantType,
    CouncilKind,
    Role,
    Stage,
)

MO = frozenset({Role.MONITORING_OFFICER, Role.DEPUTY_MONITORING_OFFICER})
MO_OR_IO = MO | {Role.INVESTIGATING_OFFICER}
IO_ONLY = frozenset({Role.INVESTIGATING_OFFICER})
HEARING_ADMIN = MO | {Role.DEMOCRATIC_SERVICES}
OPEN_STAGES = frozenset(Stage) - {Stage.CLOSED}
BEFORE_REFERRAL = frozenset({Stage.TRIAGE, Stage.AWAITING_INFORMATION, Stage.ASSESSMENT, Stage.INFORMAL_RESOLUTION})
# R13: withdrawal "at any time prior to a decision having been made by the Hearing sub-committee".
WITHDRAWABLE = OPEN_STAGES - {Stage.DECISION_NOTICE, Stage.WITHDRAWAL_REQUESTED}
NOTICE_STAGES = OPEN_STAGES - {Stage.WITHDRAWAL_REQUESTED}


class ActionRule(NamedTuple):
    stages: frozenset[Stage]
    roles: frozenset[Role]
    rule: str
    does: str


ACTIONS: dict[str, ActionRule] = {
    # R1; after notice was withheld, `triage --notify` tells the subject member later (at any open stage).
    "triage": ActionRule(NOTICE_STAGES, MO, "R1", "notify the subject member or withhold notice"),
    "extend": ActionRule(OPEN_STAGES, MO, "Time", "give a clock more time, with a reason"),
    "further_breach": ActionRule(
        investigation_rules.INVESTIGATING, IO_ONLY, "R7", "report other possible breaches to the MO"
    ),
    "request_info": ActionRule(
        frozenset({Stage.TRIAGE, Stage.ASSESSMENT}), MO, "R2", "ask the complainant for more information"
    ),
    "info_received": ActionRule(
        frozenset({Stage.AWAITING_INFORMATION}), MO, "R2", "record that the information is complete"
    ),
    "consult_ip": ActionRule(BEFORE_REFERRAL, MO, "R2", "record an Independent Person's view"),
    "assess": ActionRule(  # awaiting information: only no action for insufficient information (R2/R4)
        frozenset({Stage.ASSESSMENT, Stage.INFORMAL_RESOLUTION, Stage.AWAITING_INFORMATION}),
        MO,
        "R3",
        "decide the initial assessment",
    ),
    "informal_outcome": ActionRule(
        frozenset({Stage.INFORMAL_RESOLUTION}), MO, "R5", "record whether informal resolution worked"
    ),
    "appoint_investigator": ActionRule(
        frozenset({Stage.INVESTIGATOR_APPOINTMENT}), MO, "R6", "appoint the Investigating Officer"
    ),
    "draft_report": ActionRule(frozenset({Stage.INVESTIGATION}), IO_ONLY, "R7", "submit the draft report"),
    # R7: after the comment period, a comment is still recorded (marked late) until the final report.
    "comment": ActionRule(investigation_rules.INVESTIGATING, MO_OR_IO, "R7", "record a party's comments on the draft"),
    "final_report": ActionRule(
        frozenset({Stage.INVESTIGATION, Stage.COMMENTS}), IO_ONLY, "R7", "submit the final report"
    ),
    "schedule_hearing": ActionRule(
        frozenset({Stage.HEARING_PENDING}), HEARING_ADMIN, "R9", "fix the hearing date, panel and IP"
    ),
    "adjourn_hearing": ActionRule(frozenset({Stage.HEARING_PENDING}), HEARING_ADMIN, "R9", "adjourn the hearing"),
    "hearing_outcome": ActionRule(
        frozenset({Stage.HEARING_PENDING}), HEARING_ADMIN, "R9", "record the sub-committee's decision"
    ),
    "issue_notice": ActionRule(frozenset({Stage.DECISION_NOTICE}), MO, "R11", "issue the written decision notice"),
    "withdraw": ActionRule(WITHDRAWABLE, MO, "R13", "record the complainant's withdrawal"),
    "withdrawal_decision": ActionRule(
        frozenset({Stage.WITHDRAWAL_REQUESTED}), MO, "R13", "decide whether to stop after a withdrawal"
    ),
    "stop_clock": ActionRule(OPEN_STAGES, MO, "Time", "stop the running clock, with a reason"),
    "restart_clock": ActionRule(OPEN_STAGES, MO, "Time", "restart a stopped clock"),
    "link": ActionRule(OPEN_STAGES, MO, "R14", "consider with another complaint"),
    "lead": ActionRule(OPEN_STAGES, MO, "R14", "lead another complaint about the same incident (link --lead)"),
    "follow": ActionRule(
        OPEN_STAGES, MO, "R14", "follow a lead complaint about the same incident (link LEAD REF --lead)"
    ),
    "update_roster": ActionRule(OPEN_STAGES, MO, "Roster", "give the case the roster in force"),
    "confidentiality": ActionRule(
        NOTICE_STAGES, MO, "R18", "grant or refuse the complainant's request for confidentiality"
    ),
    "note": ActionRule(OPEN_STAGES, MO_OR_IO, "Record", "add an internal note, or why a lapsed clock was late"),
    "letter": ActionRule(OPEN_STAGES, MO, "Record", "send a one-off letter to a party"),
    "conflict": ActionRule(OPEN_STAGES, MO, "R16", "record an officer's conflict of interest"),
    "unlink": ActionRule(OPEN_STAGES, MO, "R14", "stop considering with another complaint"),
    "publish": ActionRule(frozenset({Stage.CLOSED}), MO, "R12", "publish the decision notice, or correct it"),
    "unpublish": ActionRule(frozenset({Stage.CLOSED}), MO, "R12", "withdraw the published decision notice"),
    "subject_response": ActionRule(
        frozenset({Stage.HEARING_PENDING}), MO, "R9", "record the subject member's written response"
    ),
    "hearing_summary": ActionRule(
        frozenset({Stage.HEARING_PENDING}), MO, "R9", "record the Monitoring Officer's summary for the panel"
    ),
    "change_hearing": ActionRule(
        frozenset({Stage.HEARING_PENDING}), HEARING_ADMIN, "R9", "change the panel, IP, adviser, time or venue"
    ),
    "replace_investigator": ActionRule(
        frozenset({Stage.INVESTIGATION, Stage.COMMENTS, Stage.HEARING_PENDING}),
        MO,
        "R6",
        "replace the Investigating Officer, with a reason",
    ),
    "police_answer": ActionRule(
        frozenset({Stage.WITH_POLICE}), MO, "R3", "record the police's answer: back to assessment, or closed"
    ),
    "association_answer": ActionRule(
        frozenset({Stage.WITH_ASSOCIATION}), MO, "R3", "record the county association's answer: returned or settled"
    ),
    "letter_posted": ActionRule(OPEN_STAGES, HEARING_ADMIN, "Post", "record that a printed letter was posted"),
}

# The clock each stage waits on: the default target of stop-clock and restart-clock.
STAGE_CLOCK: dict[Stage, ClockName] = {
    Stage.TRIAGE: ClockName.ASSESSMENT,
    Stage.ASSESSMENT: ClockName.ASSESSMENT,
    Stage.INVESTIGATOR_APPOINTMENT: ClockName.INVESTIGATOR_APPOINTMENT,
    Stage.INVESTIGATION: ClockName.INVESTIGATION,
    Stage.COMMENTS: ClockName.INVESTIGATION,
    Stage.HEARING_PENDING: ClockName.HEARING,
    Stage.DECISION_NOTICE: ClockName.DECISION_NOTICE,
}


def ip_consulted(case: CaseState, since_failure: bool = False) -> bool:
    """R2/R5/best practice 8: an IP's view is on record before the MO decides."""
    if not since_failure:
        return bool(case.consultations)
    failed_at = next((t.at for t in reversed(case.timeline) if t.event == "informal_outcome"), None)
    return any(c.at >= failed_at for c in case.consultations) if failed_at else False


def assessment_ips(case: CaseState) -> set[str]:
    return {c.ip for c in case.consultations}


def different_ip(case: CaseState, roster: Roster) -> str | None:
    """R6: the subject member is given an IP other than the one(s) the MO consulted."""
    used = assessment_ips(case)
    return next((p.id for p in roster.independent_persons if p.id not in used), None)


def target_clock(case: CaseState, requested: ClockName | None, paused: bool) -> ClockName | None:
    name = requested or STAGE_CLOCK.get(case.stage)
    if name is None and case.stage is Stage.WITHDRAWAL_REQUESTED and case.withdrawal:
        name = STAGE_CLOCK.get(case.withdrawal.previous_stage)
    clock = case.clocks.get(name) if name else None
    if clock is None:
        return None
    if paused:
        return name if clock.state is ClockState.STOPPED and clock.paused_since else None
    return name if clock.running else None


# --- Action-specific checks: each returns a reason to refuse, or None. ---------------------------


def _triage(case: CaseState, roster: Roster, p: a.Triage, today: date) -> str | None:
    if case.subject_notified is False and not p.notify:
        return "notice to the subject member is already withheld; to tell them now, use triage --notify"
    return None


def _assess(case: CaseState, roster: Roster, p: a.Assess, today: date) -> str | None:
    if case.stage is Stage.AWAITING_INFORMATION:
        refused = investigation_rules.assess_refusal(case, p)
        if refused or not ip_consulted(case):
            return refused or "an Independent Person must be consulted before the assessment decision (R2)"
    elif case.stage is Stage.ASSESSMENT:
        if not ip_consulted(case):
            return "an Independent Person must be consulted before the assessment decision (R2); use consult-ip"
        if assessment_rules.consulted_since_return(case):  # back from the association or the police
            return assessment_rules.consulted_since_return(case)
    else:  # informal resolution, recorded as failed (see _precondition)
        if p.outcome not in (AssessmentOutcome.INVESTIGATE, AssessmentOutcome.NO_ACTION):
            return "after failed informal resolution the choice is investigate or no-action (R5)"
        if not ip_consulted(case, since_failure=True):
            return "consult an Independent Person after informal resolution failed, before referring (R5)"
    if p.outcome is AssessmentOutcome.REFER:
        council = roster.council(case.council)
        if not council or council.kind is not CouncilKind.PARISH:
            return "only a parish member's complaint can be referred to the county association (R3)"
    if p.outcome is AssessmentOutcome.INVESTIGATE and different_ip(case, roster) is None:
        used = ", ".join(sorted(assessment_ips(case)))
        return f"R6 needs an Independent Person other than {used} for the subject member; none is on the roster"
    return None


def _appoint(case: CaseState, roster: Roster, p: a.AppointInvestigator, today: date) -> str | None:
    officer = roster.officer(p.investigator)
    if officer is None:
        return f"{p.investigator!r} is not an officer on the roster"
    if Role.INVESTIGATING_OFFICER not in officer.roles:
        return f"{p.investigator!r} is not an investigating officer"
    return record_rules.may_not_investigate(case, officer)  # R16


def _comment(case: CaseState, roster: Roster, p: a.RecordComment, today: date) -> str | None:
    if any(c.party is p.party for c in case.comments):
        return f"the {p.party.value}'s comments are already recorded"
    return None


def _schedule(case: CaseState, roster: Roster, p: a.ScheduleHearing, today: date) -> str | None:
    if p.date < today:
        return f"the hearing date {p.date.isoformat()} is in the past"
    return hearing_rules.schedule_refusal(case, roster, p, today)  # R9: panel, IP, notice, working day, late


def _adjourn(case: CaseState, roster: Roster, p: a.AdjournHearing, today: date) -> str | None:
    assert case.hearing is not None  # _precondition
    if p.date <= case.hearing.date or p.date < today:
        return f"the new date must be after {max(case.hearing.date, today).isoformat()}"
    return hearing_rules.adjourn_refusal(case, roster, p.date)


def _outcome(case: CaseState, roster: Roster, p: a.RecordHearingOutcome, today: date) -> str | None:
    assert case.hearing is not None  # _precondition
    if today < case.hearing.date:
        return f"the hearing is on {case.hearing.date.isoformat()}; its outcome can be recorded from that day"
    return sanctions.parameters_refusal(roster, case.council, case.hearing.date, p)  # R10: only fields given


def _withdrawal_decision(case: CaseState, roster: Roster, p: a.WithdrawalDecision, today: date) -> str | None:
    if roster.independent_person(p.ip) is None:
        return f"{p.ip!r} is not an Independent Person on the roster"
    return None


def _consult(case: CaseState, roster: Roster, p: a.ConsultIndependentPerson, today: date) -> str | None:
    if roster.independent_person(p.ip) is None:
        return f"{p.ip!r} is not an Independent Person on the roster"
    return None


def _stop_clock(case: CaseState, roster: Roster, p: a.StopClock, today: date) -> str | None:
    if p.clock is ClockName.COMMENT_PERIOD:
        return "the 14-day comment period cannot be stopped; it closes by itself (R7)"
    if p.clock is ClockName.CONFIDENTIALITY:
        return "the complainant's time to withdraw after confidentiality was refused cannot be stopped (R18)"
    if target_clock(case, p.clock, paused=False) is None:
        return f"no {(p.clock or 'stage').replace('_', ' ')} clock is running"
    return investigation_rules.stop_refusal(target_clock(case, p.clock, paused=False))


def _restart_clock(case: CaseState, roster: Roster, p: a.RestartClock, today: date) -> str | None:
    if target_clock(case, p.clock, paused=True) is None:
        return "no stopped clock to restart"
    return None


def _update_roster(case: CaseState, roster: Roster, p: a.UpdateRoster, today: date) -> str | None:
    problems = p.roster.problems()
    if problems:
        return "the roster does not hold together: " + "; ".join(problems)
    if not any(c.id == case.council for c in p.roster.councils):
        return f"the roster has no council {case.council!r}"
    return None


def _link(case: CaseState, roster: Roster, p: a.Link, today: date) -> str | None:
    if p.other_reference == case.reference:
        return "a complaint cannot be linked to itself"
    if p.other_reference in case.linked:
        return f"already linked to {p.other_reference}"
    return record_rules.link_refusal(case, p)


CHECKS: dict[str, Callable[..., str | None]] = {
    "triage": _triage,
    "assess": _assess,
    "appoint_investigator": _appoint,
    "comment": _comment,
    "schedule_hearing": _schedule,
    "adjourn_hearing": _adjourn,
    "hearing_outcome": _outcome,
    "withdrawal_decision": _withdrawal_decision,
    "consult_ip": _consult,
    "stop_clock": _stop_clock,
    "restart_clock": _restart_clock,
    "link": _link,
    "update_roster": _update_roster,
    **record_rules.CHECKS,
    **lead_rules.CHECKS,
    **investigation_rules.CHECKS,
    **publication_rules.CHECKS,
    **hearing_rules.CHECKS,
    "letter_posted": lambda case, roster, p, today: postal.posted_refusal(case, p, today),
}


def _role_refusal(case: CaseState, roster: Roster, action: str, officer_id: str) -> str | None:
    rule = ACTIONS[action]
    officer = roster.officer(officer_id)
    if officer is None:
        return f"officer {officer_id!r} is not on the roster"
    roles = set(officer.roles)
    if not roles & rule.roles:
        need = " or ".join(sorted(r.value for r in rule.roles))
        have = ", ".join(sorted(r.value for r in roles))
        return f"{officer_id} ({have}) cannot {action.replace('_', '-')}: it needs {need}"
    stood_down = None if action == "update_roster" else record_rules.stood_down(case, roster, officer_id)
    if stood_down:  # R16: a conflicted officer, or the MO while the deputy acts
        return stood_down
    if roles & rule.roles == {Role.INVESTIGATING_OFFICER} and case.investigator != officer_id:
        return f"{officer_id} is not the Investigating Officer appointed to {case.reference}"
    return None


def allowed_now(case: CaseState, today: date | None = None) -> list[str]:
    """Actions whose stage and preconditions hold now, each with the roles that may take it.
    `today` (London; the workflow passes its own) hides what the date alone refuses: a
    hearing's outcome before the hearing day."""
    out = []
    for name, rule in ACTIONS.items():
        if case.stage not in rule.stages or not _listed(case, name, today):
            continue
        roles = "/".join(sorted(r.value for r in rule.roles))
        out.append(f"{name.replace('_', '-')} ({roles})")
    return out


def _precondition(case: CaseState, name: str) -> str | None:
    """What must hold of the case itself, whatever the payload: one place for both the refusal
    and the list of actions allowed now."""
    if case.lead is not None and lead_rules.follower_precondition(case, name):  # R14: decided through its lead
        return lead_rules.follower_precondition(case, name)
    if name in publication_rules.CHECKS:
        return publication_rules.precondition(case, name)
    if name == "follow":  # R14: only an undecided case, neither leading nor following, follows a lead
        return lead_rules.cannot_follow(case)
    if name == "triage":
        return _notice_precondition(case)
    if name == "letter_posted" and not postal.waiting_letters(case):
        return "no letter of this case waits in the print queue"
    if name == "confidentiality":
        if not case.intake.confidential:
            return "the complainant did not ask for confidentiality"
        if case.confidentiality is not None:
            decided = "granted" if case.confidentiality.granted else "refused"
            return f"confidentiality was already {decided} on {london_date(case.confidentiality.at).isoformat()}"
    if name in ("assess", "comment") and investigation_rules.precondition(case, name):
        return investigation_rules.precondition(case, name)
    if name == "assess" and case.stage is Stage.INFORMAL_RESOLUTION and case.informal_resolved is not False:
        return "informal resolution has not been recorded as failed; record informal-outcome first (R5)"
    if name == "informal_outcome" and case.informal_resolved is not None:
        return "the informal outcome is already recorded"
    if name == "draft_report" and case.draft_report is not None:
        return "the draft report is already in; the final report follows the comment period"
    if name == "final_report":
        if case.draft_report is None:
            return "the draft report must go to the parties for comment first (R7)"
        clock = case.clocks.get(ClockName.COMMENT_PERIOD)
        if clock is not None and clock.running:
            return f"the comment period is open until {clock.due.isoformat()} (R7)"
    if name == "comment" and len({c.party for c in case.comments}) == 2:
        return "both parties' comments are already recorded"
    if name == "schedule_hearing" and case.hearing is not None:
        return f"a hearing is already fixed for {case.hearing.date.isoformat()}; use adjourn-hearing"
    if name in ("adjourn_hearing", "hearing_outcome") and case.hearing is None:
        return "no hearing is fixed yet; use schedule-hearing"
    return hearing_rules.precondition(case, name)


def _notice_precondition(case: CaseState) -> str | None:
    """R1: triage decides once, at stage triage; a withheld notice can be given later."""
    if case.subject_notified is None:
        # R1 at receipt; a request for information before triage leaves it to be taken meanwhile.
        before = (Stage.TRIAGE, Stage.AWAITING_INFORMATION)
        return None if case.stage in before else "the triage decision is taken at stage triage"
    if case.subject_notified:
        return "the subject member has already been notified"
    if case.notice_held:
        return "notice to the subject member is already given; it is held until the complainant's time to withdraw ends"
    return None


def _listed(case: CaseState, name: str, today: date | None = None) -> bool:
    """Whether `allowed_now` offers the action: its case-only conditions hold, and a clock action
    has a clock to act on."""
    if _precondition(case, name) or name == "update_roster":  # a server-side command, not a step of the case
        return False
    if name == "hearing_outcome" and today is not None and case.hearing is not None and today < case.hearing.date:
        return False  # _outcome refuses it before the hearing day
    if name == "stop_clock":
        target = target_clock(case, None, paused=False)
        return target is not None and investigation_rules.stop_refusal(target) is None
    if name == "extend":
        return any(c.running and c.name is not ClockName.ASSESSMENT for c in case.clocks.values())
    if name == "restart_clock":
        return any(c.paused_since for c in case.clocks.values())
    if name == "unlink":
        return bool(case.linked)
    return True


# What a payload must hold whatever the case (checked by the validator only; see `refusal`).
PAYLOAD_CHECKS: dict[str, Callable[[Any], str | None]] = {
    # best practice 9: what the notice will need; R10: each sanction's parameters (conduct/sanctions.py)
    "hearing_outcome": lambda p: (
        publication_rules.outcome_refusal(p) or sanctions.terms_refusal(p) or assessment_rules.attendance_refusal(p)
    ),
    "assess": assessment_rules.tests_refusal,  # sections 3-4: the initial tests and the public interest test
}
# Checks of the case added after histories were recorded: the validator only, like PAYLOAD_CHECKS.
ARRIVAL_CHECKS: dict[str, Callable[..., str | None]] = {
    "assess": assessment_rules.arrival_refusal,  # section 4: the parish referral's condition
}


def refusal(
    case: CaseState,
    roster: Roster,
    action: str,
    payload: BaseModel,
    today: date,
    in_flight: a.Action | None = None,
    recheck: bool = False,
) -> str | None:
    """Why `action` may not be taken now, as a sentence naming the case, its stage and what
    is allowed instead; None when it may. `in_flight` is the procedure-moving action the case is
    still carrying out: another waits until it is done (DESIGN.md, "Concurrency").

    `recheck`: the workflow checking an accepted action again once it has the case's lock. Checks
    of the payload alone (PAYLOAD_CHECKS) are left out: the validator made them, the payload has
    not changed since, and a check added later must not refuse, on replay, an action a recorded
    history accepted before it existed."""
    rule = ACTIONS[action]
    reason: str | None
    if in_flight is not None and a.Action(action) in a.MOVING:
        reason = f"{a.RECORDS[in_flight]} is already being recorded; try again once it is done"
    elif case.stage not in rule.stages:
        reason = f"{action.replace('_', '-')} is not allowed at this stage"
    else:
        officer = getattr(payload, "officer", "")
        # A roster change is judged by the roster it brings: a new MO is not on the old one.
        judge = payload.roster if isinstance(payload, a.UpdateRoster) else roster
        reason = (
            _role_refusal(case, judge, action, officer)
            or _precondition(case, action)
            or CHECKS.get(action, lambda *_: None)(case, roster, payload, today)
            or (None if recheck else PAYLOAD_CHECKS.get(action, lambda _: None)(payload))
            or (None if recheck else ARRIVAL_CHECKS.get(action, lambda *_: None)(case, roster, payload, today))
            # R18: a confidential complainant's identity. A one-off letter's text is checked on arrival
            # only: letters sent before it was checked must not be refused on replay.
            or text_refusal(case, action, payload, letters=not recheck)
        )
    if reason is None:
        return None
    return explained(case, reason, today)


def explained(case: CaseState, reason: str, today: date) -> str:
    """A refusal as every refusal reads: the case, its stage, the reason and what is allowed now."""
    allowed = ", ".join(allowed_now(case, today)) or "nothing: the case is closed"
    return f"{case.reference} is at stage {case.stage.value}: refused: {reason}. Allowed now: {allowed}."


def lead_refusal(case: CaseState, roster: Roster, p: a.Link, today: date) -> str | None:
    """R14: why this case may not lead the case `p.other_reference`, as a bare reason (the
    follower that asked words the refusal); the `lead` action's own checks, without its payload's."""
    if case.stage not in ACTIONS["lead"].stages:
        return f"{case.reference} is closed"
    return (
        _role_refusal(case, roster, "lead", p.officer)
        or _precondition(case, "lead")
        or lead_rules.CHECKS["lead"](case, roster, p, today)
    )


def panel_warnings(case: CaseState, roster: Roster, p: a.ScheduleHearing) -> list[str]:
    """R9 asks for three groups 'wherever possible': a warning, not a refusal. Notice, lateness and
    the Independent Person: conduct/hearing_rules.py."""
    warnings = []
    groups = [m.group_on(case.hearing_council) for m in (roster.member(i) for i in p.panel) if m]
    if len(set(groups)) < 3:
        warnings.append(
            f"the panel is not from three different groups ({', '.join(groups)}); R9 asks for it where possible"
        )
    council = roster.council(case.council)
    if council and council.kind is CouncilKind.PARISH and not p.parish_adviser:
        warnings.append("a parish member's hearing should have a parish co-optee advising (R9)")
    return warnings


def intake_flags(start: StartComplaint) -> list[str]:
    """Flags shown to the MO on receipt, never refusals: R4's time bar and anonymity, and best
    practice 11 (a parish clerk complaining about a member of their own parish council)."""
    intake, months = start.intake, start.procedure.time_bar_months
    flags = []
    if WorkingCalendar.add_months(max(intake.conduct_dates), months) < london_date(start.received_at):
        flags.append(f"conduct over {months} months before receipt (R4)")
    if intake.complainant.anonymous:
        flags.append("anonymous complaint (R4)")
    council = start.roster.council(intake.council)
    if intake.complainant.type is ComplainantType.PARISH_CLERK and council and council.kind is CouncilKind.PARISH:
        flags.append("a parish clerk complaining about a member of their parish council (best practice 11)")
    return flags
