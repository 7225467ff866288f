"""The officer actions as commands, `conduct ACTION REF ...`: one command per workflow update.

Each command only maps its flags onto the action's payload (conduct/actions.py); `starter.act`
identifies the officer, validates, sends and prints. Flags use the vocabulary with hyphens.

Every `conduct` command, and `--help`, registers these commands, so this module imports little:
the payload models (conduct.actions) and the settings are imported by the command that runs.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from conduct.vocabulary import (
    AssessmentOutcome,
    ClockName,
    Finding,
    InformalAction,
    NoActionGround,
    Party,
    Sanction,
)
from starter import cli_values
from starter.act import one_of, perform, text_from
from starter.output import Exit, fail, handled
from starter.words import ActionWord, ClockWord, FindingWord, GroundWord, OutcomeWord, PartyWord, SanctionWord, domain

if TYPE_CHECKING:
    from conduct.settings import Settings

app = typer.Typer()

Ref = Annotated[
    str,
    typer.Argument(
        metavar="REF", help="the case reference, e.g. WBC-2026-0001", show_default=False, callback=cli_values.reference
    ),
]
AsOfficer = Annotated[
    str | None,
    typer.Option("--as", envvar="CONDUCT_OFFICER", help="your officer id on the roster", show_default=False),
]
Text = Annotated[str | None, typer.Option("--text", help="the text itself", show_default=False)]
File = Annotated[
    Path | None, typer.Option("--file", help="read the text from this file (- for stdin)", show_default=False)
]
Day = Annotated[datetime, cli_values.day_option("--date", "YYYY-MM-DD")]
Clock = Annotated[
    ClockWord | None,  # type: ignore[valid-type]
    typer.Option("--clock", help="default: the clock the stage waits on", show_default=False),
]


@app.command()
@handled
def triage(
    reference: Ref,
    notify: Annotated[
        bool | None, typer.Option("--notify/--withhold", help="notify the subject member, or withhold notice")
    ] = None,
    reason: Annotated[str, typer.Option(help="why notice is withheld (needed with --withhold)")] = "",
    as_officer: AsOfficer = None,
) -> None:
    """R1: notify the subject member of the complaint, or withhold notice with a reason."""
    from conduct import actions as a
    from conduct.settings import get_settings

    if notify is None:
        one_of({"--notify": False, "--withhold": False})
    perform(get_settings(), as_officer, reference, "triage", a.Triage, notify=notify, reason=reason)


@app.command("request-info")
@handled
def request_info(reference: Ref, text: Text = None, file: File = None, as_officer: AsOfficer = None) -> None:
    """R2: ask the complainant for more information; the assessment clock stops meanwhile."""
    from conduct import actions as a
    from conduct.settings import get_settings

    body = text_from(text, file, what="request")
    perform(get_settings(), as_officer, reference, "request_info", a.RequestInformation, text=body)


@app.command("info-received")
@handled
def info_received(reference: Ref, text: Text = None, file: File = None, as_officer: AsOfficer = None) -> None:
    """R2: the information is complete; the 20 working days start afresh."""
    from conduct import actions as a
    from conduct.settings import get_settings

    body = text_from(text, file, required=False)
    perform(get_settings(), as_officer, reference, "info_received", a.InformationReceived, text=body)


@app.command("stop-clock")
@handled
def stop_clock(
    reference: Ref,
    reason: Annotated[str, typer.Option(help="why the clock stops", show_default=False)],
    clock: Clock = None,
    as_officer: AsOfficer = None,
) -> None:
    """Stop a running clock, with a reason; its stopped days do not count."""
    from conduct import actions as a
    from conduct.settings import get_settings

    name = domain(clock, ClockName) if clock else None
    perform(get_settings(), as_officer, reference, "stop_clock", a.StopClock, reason=reason, clock=name)


@app.command("restart-clock")
@handled
def restart_clock(reference: Ref, clock: Clock = None, as_officer: AsOfficer = None) -> None:
    """Restart a stopped clock; its due date moves by the stopped days."""
    from conduct import actions as a
    from conduct.settings import get_settings

    name = domain(clock, ClockName) if clock else None
    perform(get_settings(), as_officer, reference, "restart_clock", a.RestartClock, clock=name)


@app.command("consult-ip")
@handled
def consult_ip(
    reference: Ref,
    ip: Annotated[str, typer.Option("--ip", help="the Independent Person's id", show_default=False)],
    text: Text = None,
    file: File = None,
    as_officer: AsOfficer = None,
) -> None:
    """R2/R5: record an Independent Person's view (before the assessment decision)."""
    from conduct import actions as a
    from conduct.settings import get_settings

    view = text_from(text, file, what="Independent Person's view")
    perform(get_settings(), as_officer, reference, "consult_ip", a.ConsultIndependentPerson, {"view": "--text"},
            ip=ip, view=view)  # fmt: skip


@app.command()
@handled
def assess(
    reference: Ref,
    outcome: Annotated[OutcomeWord, typer.Option(help="the decision", show_default=False)],  # type: ignore[valid-type]
    ground: Annotated[
        list[GroundWord] | None,  # type: ignore[valid-type]
        typer.Option(help="R4 ground for no action (repeatable)", show_default=False),
    ] = None,
    action: Annotated[
        list[ActionWord] | None,  # type: ignore[valid-type]
        typer.Option(help="R5 informal action (repeatable)", show_default=False),
    ] = None,
    text: Text = None,
    file: File = None,
    as_officer: AsOfficer = None,
) -> None:
    """R3: the initial assessment: no action, informal resolution, investigation, or (parish) referral."""
    from conduct import actions as a
    from conduct.settings import get_settings

    reasons = text_from(text, file, what="reasons")
    perform(
        get_settings(),
        as_officer,
        reference,
        "assess",
        a.Assess,
        {"reasons": "--text", "grounds": "--ground", "actions": "--action"},
        outcome=domain(outcome, AssessmentOutcome),
        grounds=[domain(g, NoActionGround) for g in ground or []],
        actions=[domain(x, InformalAction) for x in action or []],
        reasons=reasons,
    )


@app.command("informal-outcome")
@handled
def informal_outcome(
    reference: Ref,
    resolved: Annotated[bool | None, typer.Option("--resolved/--unresolved", help="did it work?")] = None,
    text: Text = None,
    file: File = None,
    as_officer: AsOfficer = None,
) -> None:
    """R5: record whether informal resolution worked."""
    from conduct import actions as a
    from conduct.settings import get_settings

    if resolved is None:
        one_of({"--resolved": False, "--unresolved": False})
    body = text_from(text, file)
    perform(get_settings(), as_officer, reference, "informal_outcome", a.InformalOutcome, resolved=resolved, text=body)


@app.command("appoint-investigator")
@handled
def appoint_investigator(
    reference: Ref,
    officer: Annotated[str, typer.Option("--officer", help="the Investigating Officer's id", show_default=False)],
    as_officer: AsOfficer = None,
) -> None:
    """R6: appoint the Investigating Officer (within 14 days of the referral)."""
    from conduct import actions as a
    from conduct.settings import get_settings

    perform(get_settings(), as_officer, reference, "appoint_investigator", a.AppointInvestigator,
            {"investigator": "--officer"}, investigator=officer)  # fmt: skip


@app.command("draft-report")
@handled
def draft_report(reference: Ref, text: Text = None, file: File = None, as_officer: AsOfficer = None) -> None:
    """R7: the Investigating Officer's draft report; 14 days for comments start."""
    from conduct import actions as a
    from conduct.settings import get_settings

    body = text_from(text, file, what="draft report")
    perform(get_settings(), as_officer, reference, "draft_report", a.DraftReport, text=body)


@app.command("final-report")
@handled
def final_report(
    reference: Ref,
    finding: Annotated[FindingWord, typer.Option(help="the finding", show_default=False)],  # type: ignore[valid-type]
    text: Text = None,
    file: File = None,
    further_breach: Annotated[str, typer.Option(help="a further breach to report to the MO")] = "",
    as_officer: AsOfficer = None,
) -> None:
    """R7/R8: the final report; a breach goes to the Hearings Sub-Committee."""
    from conduct import actions as a
    from conduct.settings import get_settings

    body = text_from(text, file, what="final report")
    perform(get_settings(), as_officer, reference, "final_report", a.FinalReport,
            finding=domain(finding, Finding), text=body, further_breach=further_breach)  # fmt: skip


@app.command()
@handled
def comment(
    reference: Ref,
    party: Annotated[PartyWord, typer.Option(help="whose comments", show_default=False)],  # type: ignore[valid-type]
    text: Text = None,
    file: File = None,
    declined: Annotated[bool, typer.Option("--declined", help="the party declined to comment")] = False,
    as_officer: AsOfficer = None,
) -> None:
    """R7: record a party's comments on the draft report (or that they declined)."""
    from conduct import actions as a
    from conduct.settings import get_settings

    body = "" if declined and text is None and file is None else text_from(text, file, what="comments")
    perform(get_settings(), as_officer, reference, "comment", a.RecordComment, {"text": "--text"},
            party=domain(party, Party), text=body, declined=declined)  # fmt: skip


@app.command("schedule-hearing")
@handled
def schedule_hearing(
    reference: Ref,
    date: Day,
    panel: Annotated[str, typer.Option(help="three member ids: ID,ID,ID", show_default=False)],
    ip: Annotated[str, typer.Option("--ip", help="the Independent Person attending", show_default=False)],
    parish_adviser: Annotated[str | None, typer.Option(help="parish co-optee advising", show_default=False)] = None,
    as_officer: AsOfficer = None,
) -> None:
    """R9: fix the hearing date, the panel of three and the Independent Person."""
    from conduct import actions as a
    from conduct.settings import get_settings

    members = [m.strip() for m in panel.split(",") if m.strip()]
    perform(get_settings(), as_officer, reference, "schedule_hearing", a.ScheduleHearing,
            date=date.date(), panel=members, ip=ip, parish_adviser=parish_adviser)  # fmt: skip


@app.command("adjourn-hearing")
@handled
def adjourn_hearing(
    reference: Ref,
    date: Day,
    reason: Annotated[str, typer.Option(help="why", show_default=False)],
    as_officer: AsOfficer = None,
) -> None:
    """R9: adjourn the hearing to a later date."""
    from conduct import actions as a
    from conduct.settings import get_settings

    perform(get_settings(), as_officer, reference, "adjourn_hearing", a.AdjournHearing, date=date.date(), reason=reason)


@app.command("hearing-outcome")
@handled
def hearing_outcome(
    reference: Ref,
    breach: Annotated[bool | None, typer.Option("--breach/--no-breach", help="the sub-committee's finding")] = None,
    sanction: Annotated[
        list[SanctionWord] | None,  # type: ignore[valid-type]
        typer.Option(help="R10 sanction (repeatable)", show_default=False),
    ] = None,
    text: Text = None,
    file: File = None,
    as_officer: AsOfficer = None,
) -> None:
    """R9/R10: record the Hearings Sub-Committee's decision and any sanctions."""
    from conduct import actions as a
    from conduct.settings import get_settings

    if breach is None:
        one_of({"--breach": False, "--no-breach": False})
    reasons = text_from(text, file, what="reasons")
    perform(
        get_settings(),
        as_officer,
        reference,
        "hearing_outcome",
        a.RecordHearingOutcome,
        {"reasons": "--text", "sanctions": "--sanction"},
        finding=Finding.BREACH if breach else Finding.NO_BREACH,
        sanctions=[domain(s, Sanction) for s in sanction or []],
        reasons=reasons,
    )


@app.command("issue-notice")
@handled
def issue_notice(reference: Ref, as_officer: AsOfficer = None) -> None:
    """R11/R12: issue the written decision notice to all parties and publish it."""
    from conduct import actions as a
    from conduct.settings import get_settings

    perform(get_settings(), as_officer, reference, "issue_notice", a.IssueNotice)


@app.command()
@handled
def withdraw(reference: Ref, text: Text = None, file: File = None, as_officer: AsOfficer = None) -> None:
    """R13: record the complainant's request to withdraw."""
    from conduct import actions as a
    from conduct.settings import get_settings

    body = text_from(text, file, what="complainant's request")
    perform(get_settings(), as_officer, reference, "withdraw", a.Withdraw, text=body)


@app.command("withdrawal-decision")
@handled
def withdrawal_decision(
    reference: Ref,
    stop: Annotated[bool | None, typer.Option("--stop/--continue", help="stop the case, or continue it")] = None,
    ip: Annotated[str, typer.Option("--ip", help="the Independent Person consulted", show_default=False)] = "",
    text: Text = None,
    file: File = None,
    as_officer: AsOfficer = None,
) -> None:
    """R13: after consulting an Independent Person, stop or continue after a withdrawal."""
    from conduct import actions as a
    from conduct.settings import get_settings

    if stop is None:
        one_of({"--stop": False, "--continue": False})
    if not ip.strip():
        fail(Exit.USAGE, "say which Independent Person was consulted: --ip ID (as on the roster, e.g. ip-1)")
    view = text_from(text, file, what="Independent Person's view")
    perform(get_settings(), as_officer, reference, "withdrawal_decision", a.WithdrawalDecision,
            {"view": "--text"}, stop=stop, ip=ip, view=view)  # fmt: skip


@app.command()
@handled
def link(
    reference: Ref,
    other: Annotated[
        str,
        typer.Argument(metavar="OTHER_REF", help="the other case", show_default=False, callback=cli_values.reference),
    ],
    as_officer: AsOfficer = None,
) -> None:
    """R14: consider this complaint together with another."""
    from conduct import actions as a
    from conduct.settings import get_settings
    from starter.act import build

    settings = get_settings()
    flags = {"other_reference": "OTHER_REF"}
    build(a.Link, "-", flags, other_reference=other)  # a malformed reference is a usage error first (exit 2)
    _must_exist(settings, other)
    perform(settings, as_officer, reference, "link", a.Link, flags, other_reference=other)


def _must_exist(settings: Settings, reference: str) -> None:
    """The other case of a link is there (exit 4, "no case X", if not) and open (exit 3): the
    workflow's signal to a case that does not exist, or has ended, fails after the action was sent
    (ExternalWorkflowExecutionNotFound)."""
    from temporalio.client import WorkflowExecutionStatus

    from starter import session

    description = session.run(settings, lambda client: session.handle(client, reference).describe(), reference)
    if description.status is not WorkflowExecutionStatus.RUNNING:
        fail(Exit.REFUSED, f"{reference} is closed: a case can be linked only to an open case")
