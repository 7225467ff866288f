"""Section 7's fairness and section 3's information requests, as pure checks (conduct/rules.py
calls them): clock extensions, late comments, the comments a final report considered, further
breaches, the day information arrived, and closing a case whose information never came.

Only what the arrangements allow stops a clock: awaiting information stops the assessment clock
(R2: "within 20 working days of receipt of all relevant information"). Every other clock is given
more time instead, by an extension with a reason (`conduct extend`), which reviews show as such.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from conduct import actions as a
from conduct.calendar import london_date
from conduct.case import CaseState
from conduct.roster import Roster
from conduct.vocabulary import AssessmentOutcome, ClockName, ClockState, NoActionGround, Stage

# Where the investigation is under way (R7: further breaches "during the course of the investigation").
INVESTIGATING = frozenset({Stage.INVESTIGATION, Stage.COMMENTS})


def comment_is_late(case: CaseState) -> bool:
    """R7: a comment after the comment period closed is still recorded, marked late."""
    clock = case.clocks.get(ClockName.COMMENT_PERIOD)
    return clock is not None and not clock.running


def stop_refusal(name: ClockName | None) -> str | None:
    """Only awaiting information stops a clock; an MO's stop is for the assessment clock alone."""
    if name is not None and name not in (ClockName.ASSESSMENT, ClockName.COMMENT_PERIOD):
        return (
            f"only the assessment clock stops (while information is awaited); give the {name.value.replace('_', ' ')} "
            "clock more time with extend --until DATE --reason TEXT"
        )
    return None


def _extend(case: CaseState, roster: Roster, p: a.ExtendClock, today: date) -> str | None:
    if p.clock is ClockName.ASSESSMENT:
        return (
            "the assessment clock is not extended: it runs from receipt of all relevant information (R2); "
            "ask for information with request-info, which stops it"
        )
    clock = case.clocks.get(p.clock)
    if clock is None or clock.state is ClockState.STOPPED and clock.paused_since is None:
        return f"no {p.clock.value.replace('_', ' ')} clock is running"
    if clock.state is ClockState.STOPPED:
        return f"the {p.clock.value.replace('_', ' ')} clock is stopped; restart it first"
    if not clock.running:
        return f"the {p.clock.value.replace('_', ' ')} clock is already {clock.state.value.replace('_', ' ')}"
    if p.until <= clock.due:
        return f"an extension must be after the due date, {clock.due.isoformat()}"
    if p.until < today:
        return f"{p.until.isoformat()} is in the past"
    return None


def _info_received(case: CaseState, roster: Roster, p: a.InformationReceived, today: date) -> str | None:
    if p.on is None:
        return None
    if p.on > today:
        return f"--on {p.on.isoformat()} is in the future"
    asked = next((t.at for t in reversed(case.timeline) if t.event == "information_requested"), None)
    if asked is not None and p.on < london_date(asked):
        return f"--on {p.on.isoformat()} is before the information was asked for ({london_date(asked).isoformat()})"
    return None


def _final_report(case: CaseState, roster: Roster, p: a.FinalReport, today: date) -> str | None:
    if p.considered is None:
        return None
    made = {c.party for c in case.comments if not c.declined}
    missing = [party.value for party in p.considered if party not in made]
    if missing:
        return f"no comments from the {' or '.join(missing)} are recorded to be considered"
    return None


def assess_refusal(case: CaseState, p: a.Assess) -> str | None:
    """R2/R4: while information is awaited the MO may only close the case for want of it."""
    if case.stage is not Stage.AWAITING_INFORMATION:
        return None
    if p.outcome is not AssessmentOutcome.NO_ACTION or NoActionGround.INSUFFICIENT_INFORMATION not in p.grounds:
        return (
            "while information is awaited the only decision is no action on the ground insufficient-information; "
            "record info-received to assess the complaint"
        )
    return None


def precondition(case: CaseState, name: str) -> str | None:
    if name == "assess" and case.stage is Stage.AWAITING_INFORMATION and case.subject_notified is None:
        return "triage the complaint first (R1): notify the subject member or withhold notice"
    if name == "comment":
        if case.draft_report is None:
            return "there is no draft report to comment on yet (R7)"
        if case.final_report is not None:
            return "the final report is in; comments can no longer be considered"
    return None


CHECKS: dict[str, Callable[..., str | None]] = {
    "extend": _extend,
    "info_received": _info_received,
    "final_report": _final_report,
}
