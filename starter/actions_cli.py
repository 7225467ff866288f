"""The officer actions as commands, `conduct ACTION REF ...`: one command per workflow update.

Each command only maps its flags onto the action's payload (conduct/actions.py); `starter.act`
identifies the officer, validates, sends and prints. Flags use the vocabulary with hyphens.

Every `conduct` command, and `--help`, registers these commands, so this module imports little:
the payload models (conduct.actions) and the settings are imported by the command that runs.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from conduct.destinations import NOTE_GOES_TO, goes_to
from conduct.vocabulary import (
    AssessmentOutcome,
    ClockName,
    Finding,
    InformalAction,
    NoActionGround,
    Party,
    Provision,
    Sanction,
)
from starter import cli_values
from starter.act import one_of, perform, text_from
from starter.assessment_flags import PublicInterest, PublicInterestReason, TestFailed, TestsMet, tests_from
from starter.output import Exit, fail, handled, out
from starter.words import (
    ActionWord,
    ClockWord,
    FindingWord,
    GroundWord,
    OutcomeWord,
    PartyWord,
    ProvisionWord,
    SanctionWord,
    domain,
)

if TYPE_CHECKING:
    from conduct.settings import Settings

app = typer.Typer()
YesNo = Enum("YesNo", {"YES": "yes", "NO": "no"}, type=str)  # type: ignore[misc]

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
Attach = Annotated[
    list[Path] | None,
    typer.Option(
        "--attach",
        help="a statement or document for the report (repeatable): sent with it to the MO and both parties",
        show_default=False,
    ),
]
Clock = Annotated[
    ClockWord | None,  # type: ignore[valid-type]
    typer.Option("--clock", help="default: the clock the stage waits on", show_default=False),
]
Note = Annotated[str, typer.Option("--note", help=NOTE_GOES_TO, show_default=False)]
Reviewed = Annotated[
    bool,
    typer.Option(
        "--reviewed",
        help="send a text naming a confidential complainant after you have checked it (R18; refused without)",
    ),
]


def _text(action: str, field: str = "text", flag: str = "--text", what: str = "the text itself") -> Any:
    """A free-text option whose --help says who receives it (issue 13)."""
    return Annotated[str | None, typer.Option(flag, help=f"{what}; {goes_to(action, field)}", show_default=False)]


def _told(action: str, *texts: tuple[str, str, str]) -> None:
    """The confirmation says where each text given went: (flag, payload field, value)."""
    for flag, field, value in texts:
        if value and value.strip():
            where = NOTE_GOES_TO if field == "note" else goes_to(action, field)
            out().print(f"  {flag}: {where}", soft_wrap=True, markup=False, highlight=False)


@app.command()
@handled
def triage(
    reference: Ref,
    notify: Annotated[
        bool | None, typer.Option("--notify/--withhold", help="notify the subject member, or withhold notice")
    ] = None,
    reason: Annotated[
        str, typer.Option(help=f"why notice is withheld (needed with --withhold); {goes_to('triage', 'reason')}")
    ] = "",
    note: Note = "",
    as_officer: AsOfficer = None,
) -> None:
    """R1: notify the subject member of the complaint, or withhold notice with a reason. After
    --withhold, --notify tells them later (held while a complainant refused confidentiality may withdraw)."""
    from conduct import actions as a
    from conduct.settings import get_settings

    if notify is None:
        one_of({"--notify": False, "--withhold": False})
    perform(get_settings(), as_officer, reference, "triage", a.Triage, notify=notify, reason=reason, note=note)
    _told("triage", ("--reason", "reason", reason), ("--note", "note", note))


@app.command("request-info")
@handled
def request_info(
    reference: Ref,
    text: _text("request_info") = None,
    file: File = None,
    note: Note = "",
    as_officer: AsOfficer = None,
) -> None:
    """R2: ask the complainant for more information; the assessment clock stops meanwhile."""
    from conduct import actions as a
    from conduct.settings import get_settings

    body = text_from(text, file, what="request")
    perform(get_settings(), as_officer, reference, "request_info", a.RequestInformation, text=body, note=note)
    _told("request_info", ("--text", "text", body), ("--note", "note", note))


@app.command("info-received")
@handled
def info_received(
    reference: Ref,
    text: _text("info_received", what="what arrived") = None,
    file: File = None,
    on: Annotated[datetime | None, cli_values.day_option("--on", "the day it arrived (default: today)")] = None,
    as_officer: AsOfficer = None,
) -> None:
    """R2: the information is complete; the 20 working days start afresh from the day it arrived."""
    from conduct import actions as a
    from conduct.settings import get_settings

    body = text_from(text, file, required=False)
    perform(get_settings(), as_officer, reference, "info_received", a.InformationReceived,
            text=body, on=on.date() if on else None)  # fmt: skip


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
    text: _text("consult_ip", "view", what="the Independent Person's view") = None,
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
    text: _text("assess", "reasons", what="the reasons") = None,
    file: File = None,
    note: Note = "",
    reviewed: Reviewed = False,
    tests_met: TestsMet = False,
    test_failed: TestFailed = None,
    public_interest: PublicInterest = None,
    public_interest_reason: PublicInterestReason = None,
    as_officer: AsOfficer = None,
) -> None:
    """R3: the initial assessment, with the initial tests and the public interest test: no action, informal
    resolution, investigation, (parish) referral to the county association, or referral to the police."""
    from conduct import actions as a
    from conduct.settings import get_settings

    tests = tests_from(tests_met, test_failed, public_interest, public_interest_reason)
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
        tests=tests,
        note=note,
        reviewed=reviewed,
    )
    _told(
        "assess",
        ("--text", "reasons", reasons),
        ("--public-interest-reason", "public_interest_reason", tests["public_interest_reason"]),
        ("--note", "note", note),
    )


@app.command("informal-outcome")
@handled
def informal_outcome(
    reference: Ref,
    resolved: Annotated[bool | None, typer.Option("--resolved/--unresolved", help="did it work?")] = None,
    text: _text("informal_outcome") = None,
    file: File = None,
    note: Note = "",
    reviewed: Reviewed = False,
    as_officer: AsOfficer = None,
) -> None:
    """R5: record whether informal resolution worked."""
    from conduct import actions as a
    from conduct.settings import get_settings

    if resolved is None:
        one_of({"--resolved": False, "--unresolved": False})
    body = text_from(text, file)
    perform(get_settings(), as_officer, reference, "informal_outcome", a.InformalOutcome, resolved=resolved, text=body,
            note=note, reviewed=reviewed)  # fmt: skip
    _told("informal_outcome", ("--text", "text", body), ("--note", "note", note))


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
def draft_report(
    reference: Ref,
    text: _text("draft_report") = None,
    file: File = None,
    attach: Attach = None,
    reviewed: Reviewed = False,
    as_officer: AsOfficer = None,
) -> None:
    """R7: the Investigating Officer's draft report, sent (text and attachment, with any --attach
    files) to the MO, the complainant and the subject member; 14 days for comments start."""
    from conduct import actions as a
    from conduct.settings import get_settings
    from starter.report_attachments import attached

    body = text_from(text, file, what="draft report")
    settings = get_settings()
    with attached(settings, reference, attach) as documents:
        perform(settings, as_officer, reference, "draft_report", a.DraftReport, {"documents": "--attach"},
                text=body, documents=documents, reviewed=reviewed)  # fmt: skip
    _told("draft_report", ("--text", "text", body))


@app.command("final-report")
@handled
def final_report(
    reference: Ref,
    finding: Annotated[FindingWord, typer.Option(help="the finding", show_default=False)],  # type: ignore[valid-type]
    text: _text("final_report") = None,
    file: File = None,
    further_breach: Annotated[
        str, typer.Option(help=f"a further breach to report to the MO; {goes_to('final_report', 'further_breach')}")
    ] = "",
    reviewed: Reviewed = False,
    note: Note = "",
    attach: Attach = None,
    considered: Annotated[
        list[PartyWord] | None,  # type: ignore[valid-type]
        typer.Option(help="whose comments the report considered (repeatable); default: every comment made"),
    ] = None,
    as_officer: AsOfficer = None,
) -> None:
    """R7/R8: the final report, sent with its documents to the MO, the complainant and the subject
    member; a breach goes to the Hearings Sub-Committee."""
    from conduct import actions as a
    from conduct.settings import get_settings
    from starter.report_attachments import attached

    body = text_from(text, file, what="final report")
    parties = [domain(p, Party) for p in considered] if considered else None
    settings = get_settings()
    with attached(settings, reference, attach) as documents:
        perform(settings, as_officer, reference, "final_report", a.FinalReport,
                {"documents": "--attach", "considered": "--considered"}, finding=domain(finding, Finding),
                text=body, further_breach=further_breach, documents=documents, considered=parties,
                reviewed=reviewed, note=note)  # fmt: skip
    _told("final_report", ("--text", "text", body), ("--further-breach", "further_breach", further_breach),
          ("--note", "note", note))  # fmt: skip


@app.command()
@handled
def comment(
    reference: Ref,
    party: Annotated[PartyWord, typer.Option(help="whose comments", show_default=False)],  # type: ignore[valid-type]
    text: _text("comment", what="the comments") = None,
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
    time: hearing_cli.Time = None,
    venue: hearing_cli.Venue = "",
    private: hearing_cli.Private = False,
    private_reason: hearing_cli.PrivateReason = "",
    short_notice: hearing_cli.ShortNotice = False,
    reason: hearing_cli.Reason = "",
    as_officer: AsOfficer = None,
) -> None:
    """R9: fix the hearing: date (a working day, 5 clear working days' notice), time, venue, public or
    private, the panel of three and the Independent Person; the notice goes with the papers."""
    from conduct import actions as a
    from conduct.settings import get_settings

    members = [m.strip() for m in panel.split(",") if m.strip()]
    perform(get_settings(), as_officer, reference, "schedule_hearing", a.ScheduleHearing,
            {"starts_at": "--time", "private_reason": "--private-reason", "short_notice": "--short-notice"},
            date=date.date(), panel=members, ip=ip, parish_adviser=parish_adviser, starts_at=hearing_cli.clock(time),
            venue=venue, private=private, private_reason=private_reason, short_notice=short_notice,
            reason=reason)  # fmt: skip


@app.command("adjourn-hearing")
@handled
def adjourn_hearing(
    reference: Ref,
    date: Day,
    reason: Annotated[str, typer.Option(help=f"why; {goes_to('adjourn_hearing', 'reason')}", show_default=False)],
    note: Note = "",
    reviewed: Reviewed = False,
    as_officer: AsOfficer = None,
) -> None:
    """R9: adjourn the hearing to a later date."""
    from conduct import actions as a
    from conduct.settings import get_settings

    perform(get_settings(), as_officer, reference, "adjourn_hearing", a.AdjournHearing, date=date.date(), reason=reason,
            note=note, reviewed=reviewed)  # fmt: skip
    _told("adjourn_hearing", ("--reason", "reason", reason), ("--note", "note", note))


@app.command("hearing-outcome")
@handled
def hearing_outcome(
    reference: Ref,
    breach: Annotated[bool | None, typer.Option("--breach/--no-breach", help="the sub-committee's finding")] = None,
    sanction: Annotated[
        list[SanctionWord] | None,  # type: ignore[valid-type]
        typer.Option(help="R10 sanction (repeatable)", show_default=False),
    ] = None,
    text: _text("hearing_outcome", "reasons", what="the reasons") = None,
    file: File = None,
    note: Note = "",
    reviewed: Reviewed = False,
    breached: Annotated[
        list[ProvisionWord] | None,  # type: ignore[valid-type]
        typer.Option(
            help="a provision of the Code found breached (repeatable; needed with --breach)", show_default=False
        ),
    ] = None,
    ip_view: Annotated[
        str | None,
        typer.Option(
            help="the Independent Person's view on breach and sanction (required; goes to: the public decision "
            "notice once the MO approves it, and the case's history)",
            show_default=False,
        ),
    ] = None,
    attended: Annotated[
        YesNo | None,  # type: ignore[valid-type]
        typer.Option(help="R9: did the subject member attend? (required)", show_default=False),
    ] = None,
    proceeded_in_absence: Annotated[
        bool, typer.Option("--proceeded-in-absence", help="R9: the panel went on without the subject member")
    ] = False,
    absence_reason: Annotated[
        str | None,
        typer.Option(
            "--reason",
            help="why the panel proceeded in the subject member's absence; "
            + goes_to("hearing_outcome", "absence_reason"),
            show_default=False,
        ),
    ] = None,
    committee: Annotated[
        str | None,
        typer.Option(
            help="R10 committee-removal: the committee, from the roster's; " + goes_to("hearing_outcome", "committee"),
            show_default=False,
        ),
    ] = None,
    until: Annotated[
        datetime | None, cli_values.day_option("--until", "R10 committee-removal: the last day of the period")
    ] = None,
    apology_meeting: Annotated[
        datetime | None,
        cli_values.day_option("--apology-meeting", "R10 public-apology: the Full Council meeting it is made at"),
    ] = None,
    course: Annotated[
        str | None,
        typer.Option(
            help="R10 training: the course, as the training register will title the session (attendance there "
            "completes the sanction); " + goes_to("hearing_outcome", "course"),
            show_default=False,
        ),
    ] = None,
    as_officer: AsOfficer = None,
) -> None:
    """R9/R10: record the Hearings Sub-Committee's decision, the provisions found breached, the IP's view
    and any sanctions, each with its parameters (committee and period, Full Council meeting, course)."""
    from conduct import actions as a
    from conduct.settings import get_settings

    if breach is None:
        one_of({"--breach": False, "--no-breach": False})
    if not (ip_view or "").strip():
        fail(Exit.USAGE, "give the Independent Person's view with --ip-view TEXT (it goes into the published notice)")
    if breach and not breached:
        fail(Exit.USAGE, "name the provisions found breached with --breached PROVISION (repeatable), e.g. respect")
    if not breach and breached:
        fail(Exit.USAGE, "--breached goes with --breach, not --no-breach")
    if attended is None:
        fail(Exit.USAGE, "say whether the subject member attended: --attended yes|no (R9)")
    present = str(getattr(attended, "value", attended)) == "yes"
    if present and (proceeded_in_absence or absence_reason):
        fail(Exit.USAGE, "--proceeded-in-absence and --reason go with --attended no")
    if not present and not (proceeded_in_absence and (absence_reason or "").strip()):
        fail(Exit.USAGE, "the subject member did not attend: give --proceeded-in-absence --reason TEXT, or adjourn")
    from conduct.sanctions import terms_problem

    terms: dict[str, Any] = {
        "committee": (committee or "").strip(),
        "committee_until": until.date() if until else None,
        "apology_meeting": apology_meeting.date() if apology_meeting else None,
        "course": (course or "").strip(),
    }
    problem = terms_problem({domain(s, Sanction) for s in sanction or []}, *terms.values())
    if problem:
        fail(Exit.USAGE, problem)
    reasons = text_from(text, file, what="reasons")
    perform(
        get_settings(),
        as_officer,
        reference,
        "hearing_outcome",
        a.RecordHearingOutcome,
        {"reasons": "--text", "sanctions": "--sanction", "breached": "--breached", "ip_view": "--ip-view"},
        finding=Finding.BREACH if breach else Finding.NO_BREACH,
        sanctions=[domain(s, Sanction) for s in sanction or []],
        reasons=reasons,
        breached=[domain(p, Provision) for p in breached or []],
        ip_view=(ip_view or "").strip(),
        attended=present,
        proceeded_in_absence=proceeded_in_absence,
        absence_reason=(absence_reason or "").strip(),
        **terms,
        note=note,
        reviewed=reviewed,
    )
    _told(
        "hearing_outcome",
        ("--text", "reasons", reasons),
        ("--reason", "absence_reason", absence_reason or ""),
        ("--note", "note", note),
    )


@app.command("issue-notice")
@handled
def issue_notice(reference: Ref, as_officer: AsOfficer = None) -> None:
    """R11/R12: issue the written decision notice to all parties and draft the public notice (it is
    published by `conduct publish` once approved)."""
    from conduct import actions as a
    from conduct.settings import get_settings

    perform(get_settings(), as_officer, reference, "issue_notice", a.IssueNotice)


@app.command()
@handled
def publish(
    reference: Ref,
    preview: Annotated[
        bool, typer.Option("--preview", help="print the text that would be published; send nothing")
    ] = False,
    statement_file: Annotated[
        Path | None,
        typer.Option(
            help="a brief statement of facts written for the public, replacing the draft's (- for stdin; goes to: "
            "the public decision notice)",
            show_default=False,
        ),
    ] = None,
    redact: Annotated[
        list[str] | None,
        typer.Option(help='a text to replace with "\\[redacted]" wherever it occurs (repeatable)', show_default=False),
    ] = None,
    correct: Annotated[
        bool, typer.Option("--correct", help='republish a published or withdrawn notice, marked "Corrected on DATE"')
    ] = False,
    as_officer: AsOfficer = None,
) -> None:
    """R12: approve and publish the drafted decision notice (MO or deputy); refused while it names the
    complainant or another member of the public."""
    from conduct.settings import get_settings
    from starter import publication_cli

    statement = publication_cli.statement_from(statement_file) if statement_file is not None else ""
    if correct and not (statement or redact) and not preview:
        fail(Exit.USAGE, "a correction needs --statement-file FILE or --redact TEXT")
    publication_cli.publish(get_settings(), as_officer, reference, preview=preview, statement=statement,
                            redactions=list(redact or []), correct=correct)  # fmt: skip


@app.command()
@handled
def unpublish(
    reference: Ref,
    reason: Annotated[
        str, typer.Option(help="why it is withdrawn (goes to: the case's history; never shown to the public)")
    ],
    as_officer: AsOfficer = None,
) -> None:
    """R12: withdraw a published decision notice; its page then says it was withdrawn (410)."""
    from conduct import actions as a
    from conduct.settings import get_settings

    if not reason.strip():
        fail(Exit.USAGE, "say why the notice is withdrawn: --reason TEXT")
    perform(get_settings(), as_officer, reference, "unpublish", a.Unpublish, {"reason": "--reason"},
            reason=reason.strip())  # fmt: skip


@app.command()
@handled
def withdraw(
    reference: Ref,
    text: _text("withdraw", what="the complainant's request, as received") = None,
    file: File = None,
    note: Note = "",
    as_officer: AsOfficer = None,
) -> None:
    """R13: record the complainant's request to withdraw."""
    from conduct import actions as a
    from conduct.settings import get_settings

    body = text_from(text, file, what="complainant's request")
    perform(get_settings(), as_officer, reference, "withdraw", a.Withdraw, text=body, note=note)
    _told("withdraw", ("--text", "text", body), ("--note", "note", note))


@app.command("withdrawal-decision")
@handled
def withdrawal_decision(
    reference: Ref,
    stop: Annotated[bool | None, typer.Option("--stop/--continue", help="stop the case, or continue it")] = None,
    ip: Annotated[str, typer.Option("--ip", help="the Independent Person consulted", show_default=False)] = "",
    text: _text("withdrawal_decision", "view", what="the Independent Person's view") = None,
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
    reason: Annotated[
        str, typer.Option(help="why cases about different members go together (a joint hearing); in the history")
    ] = "",
    lead: Annotated[
        bool,
        typer.Option(
            "--lead",
            help="REF leads: OTHER (same members, not yet decided) follows it; its clocks stop, and every "
            "decision, hearing and letter on REF applies to OTHER, whose complainant gets their own letters",
        ),
    ] = False,
    as_officer: AsOfficer = None,
) -> None:
    """R14: consider this complaint together with another (about another member: with --reason);
    with --lead, REF is the lead case and OTHER is decided with it."""
    from conduct import actions as a
    from conduct.settings import get_settings
    from starter.act import build

    settings = get_settings()
    flags = {"other_reference": "OTHER_REF"}
    build(a.Link, "-", flags, other_reference=other)  # a malformed reference is a usage error first (exit 2)
    _must_exist(settings, other)
    from starter.record_cli import subjects_of

    if lead:  # R14: the follower takes the action and joins the lead (workflows/lead.py)
        _may_follow(settings, other)
        subjects = _may_lead(settings, reference)
        perform(settings, as_officer, other, "follow", a.Link, {"other_reference": "REF"}, other_reference=reference,
                reason=reason.strip(), other_subjects=subjects)  # fmt: skip
        return
    perform(settings, as_officer, reference, "link", a.Link, flags, other_reference=other,
            reason=reason.strip(), other_subjects=subjects_of(settings, other))  # fmt: skip


def _must_exist(settings: Settings, reference: str) -> None:
    """The other case of a link is there (exit 4, "no case X", if not) and open (exit 3): the
    workflow's signal to a case that does not exist, or has ended, fails after the action was sent
    (ExternalWorkflowExecutionNotFound)."""
    from temporalio.client import WorkflowExecutionStatus

    from starter import session

    description = session.run(settings, lambda client: session.handle(client, reference).describe(), reference)
    if description.status is not WorkflowExecutionStatus.RUNNING:
        fail(Exit.REFUSED, f"{reference} is closed: a case can be linked only to an open case")


def _may_lead(settings: Settings, reference: str) -> list[str]:
    """R14: a closed case, or one that follows another, cannot lead (exit 3; exit 4 if there is no
    such case); the lead itself checks again. Its subject members, for the follower's check."""
    from conduct.vocabulary import Stage
    from starter import session

    state = session.run(settings, lambda client: session.status(client, reference), reference)
    if state.stage is Stage.CLOSED:
        fail(Exit.REFUSED, f"{reference} is closed: only an open case can lead (R14)")
    if state.lead is not None:
        fail(Exit.REFUSED, f"{reference} follows {state.lead} (R14): a case that follows another cannot lead; "
                           f"make {state.lead} the lead")  # fmt: skip
    return list(state.subject_members)


def _may_follow(settings: Settings, reference: str) -> None:
    """R14: only an undecided case, neither a lead nor following one, can follow a lead (exit 3)."""
    from conduct.lead_rules import cannot_follow
    from starter import session

    state = session.run(settings, lambda client: session.status(client, reference), reference)
    why = cannot_follow(state)
    if why:
        fail(Exit.REFUSED, f"{why} (R14)")


@app.command()
@handled
def extend(
    reference: Ref,
    clock: Annotated[ClockWord, typer.Option("--clock", help="the clock to extend", show_default=False)],  # type: ignore[valid-type]
    until: Annotated[datetime, cli_values.day_option("--until", "the new due date")],
    reason: Annotated[str, typer.Option(help="why (in the case history and in reviews)", show_default=False)],
    as_officer: AsOfficer = None,
) -> None:
    """Give a clock more time, with a reason (every clock but the assessment's, which only a
    request for information stops); reviews show the extension as such."""
    from conduct import actions as a
    from conduct.settings import get_settings

    perform(get_settings(), as_officer, reference, "extend", a.ExtendClock,
            clock=domain(clock, ClockName), until=until.date(), reason=reason)  # fmt: skip


@app.command("further-breach")
@handled
def further_breach(reference: Ref, text: Text = None, file: File = None, as_officer: AsOfficer = None) -> None:
    """R7: the appointed Investigating Officer reports other possible breaches of the Code to the
    MO, at any time during the investigation (the text goes to the MO in a letter)."""
    from conduct import actions as a
    from conduct.settings import get_settings

    body = text_from(text, file, what="further possible breaches")
    perform(get_settings(), as_officer, reference, "further_breach", a.ReportFurtherBreach, text=body)


@app.command()
@handled
def confidentiality(
    reference: Ref,
    grant: Annotated[
        bool | None, typer.Option("--grant/--refuse", help="keep the complainant's identity confidential, or not")
    ] = None,
    reason: Annotated[
        str, typer.Option(help=f"the MO's reasons (required); {goes_to('confidentiality', 'reason')}")
    ] = "",
    note: Note = "",
    as_officer: AsOfficer = None,
) -> None:
    """R18: decide the complainant's request for confidentiality and tell them. Refused, they may
    withdraw within 10 working days; nothing naming them is sent, nor a notice held, until then."""
    from conduct import actions as a
    from conduct.settings import get_settings

    if grant is None:
        one_of({"--grant": False, "--refuse": False})
    if not reason.strip():
        fail(Exit.USAGE, "give the reasons for the decision with --reason TEXT (they go to the complainant)")
    perform(get_settings(), as_officer, reference, "confidentiality", a.Confidentiality, grant=grant,
            reason=reason.strip(), note=note)  # fmt: skip
    _told("confidentiality", ("--reason", "reason", reason), ("--note", "note", note))


# R9's hearing commands (subject-response, hearing-summary, change-hearing, replace-investigator) and the
# schedule-hearing flags above live in starter/hearing_cli.py, which adds its commands to `app`.
from starter import hearing_cli  # noqa: E402
