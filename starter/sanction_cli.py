"""`conduct sanction-complied` and `conduct cases --sanctions-due`: the sanctions' follow-ups
(R17, workflows/sanction.py) from the command line, and the training register's part in them.

`sanction-complied` is an officer action like the others (starter/act.py): the officer is
identified, the payload checked (exit 2), the person judged (exit 3), and the update signed with
the service's attestation and sent to the follow-up, whose id comes from the case reference and
the sanction (conduct.sanctions.follow_up_id); no follow-up is exit 4.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Annotated

import typer

from conduct.vocabulary import Sanction
from starter import cli_values, output
from starter.actions_cli import AsOfficer, Note, Ref
from starter.output import CliError, Exit, done, esc, fail, handled
from starter.words import SanctionWord, domain

if TYPE_CHECKING:
    from temporalio.client import Client

    from conduct.actions import ActionResult
    from conduct.roster import Officer
    from conduct.sanctions import FollowUpState
    from conduct.settings import Settings

app = typer.Typer()


@app.command("sanction-complied")
@handled
def sanction_complied(
    reference: Ref,
    sanction: Annotated[
        SanctionWord,  # type: ignore[valid-type]
        typer.Option(help="the sanction complied with, e.g. training", show_default=False),
    ],
    on: Annotated[datetime, cli_values.day_option("--on", "the day it was complied with (not in the future)")],
    note: Note = "",
    as_officer: AsOfficer = None,
) -> None:
    """R17: record that a sanction the Hearings Sub-Committee imposed was complied with; the follow-up
    then writes to the committee chair. MO, deputy or democratic services."""
    from conduct.settings import get_settings

    day = on.date()
    if day > datetime.now(UTC).date():
        fail(Exit.USAGE, f"--on {day.isoformat()} is in the future: give the day it was complied with")
    record(get_settings(), as_officer, reference, domain(sanction, Sanction), day, note=note)


def record(
    settings: Settings, as_officer: str | None, reference: str, sanction: Sanction, on: date, note: str = "",
    session: str = "", quiet: bool = False,
) -> ActionResult:  # fmt: skip
    """Identify, check, sign and send `sanction_complied` to the follow-up; CliError on refusal."""
    from conduct.action_ids import action_id
    from conduct.attestation_keys import attest
    from conduct.sanctions import UPDATE, SanctionComplied, follow_up_id, person_refusal
    from starter import access_cli
    from starter import session as sessions
    from starter.act import build
    from starter.officer import identify

    officer = identify(settings, as_officer)
    payload = build(SanctionComplied, officer.id, {"on": "--on", "sanction": "--sanction"},
                    sanction=sanction, on=on, note=note, session=session)  # fmt: skip
    update_id = action_id(reference, UPDATE, payload)
    signed = attest(settings, reference, UPDATE, payload, update_id)
    word = sanction.value.replace("_", "-")

    async def work(client: Client) -> ActionResult:
        from temporalio.client import WorkflowUpdateStage

        from conduct.actions import ActionResult

        state = await follow_up_state(client, reference, sanction)
        refused = person_refusal(state.start, officer.id)
        if refused is None and not state.status.open:
            done_on = f" on {state.complied_on.isoformat()}" if state.complied_on else ""
            refused = f"{reference} ({word}): refused: the follow-up is closed ({state.status.value}{done_on})"
        if refused:
            raise CliError(Exit.REFUSED, refused)
        handle = client.get_workflow_handle(follow_up_id(reference, sanction))
        accepted = await handle.start_update(
            UPDATE, signed, id=update_id, wait_for_stage=WorkflowUpdateStage.ACCEPTED, result_type=ActionResult
        )
        return await accepted.result()

    try:
        result = sessions.run(settings, work, reference)
    except CliError as error:
        refused = error.code is Exit.REFUSED
        access_cli.note(settings, "action", officer.id, "refused" if refused else "failed", case=reference,
                        action=UPDATE, reason=error.message if refused else None)  # fmt: skip
        raise
    access_cli.note(settings, "action", officer.id, "ok", case=reference, action=UPDATE)
    if not quiet:
        done(f"{result.reference} ({result.stage}): {result.message}", result.warnings)
    return result


async def follow_up_state(client: Client, reference: str, sanction: Sanction) -> FollowUpState:
    """The follow-up's state (it answers queries after it ends); exit 4 when there is none."""
    from temporalio.service import RPCError, RPCStatusCode

    from conduct.sanctions import follow_up_id
    from starter.session import QUERY_TIMEOUT
    from workflows.sanction import SanctionFollowUpWorkflow

    handle = client.get_workflow_handle(follow_up_id(reference, sanction))
    try:
        return await handle.query(SanctionFollowUpWorkflow.status, rpc_timeout=QUERY_TIMEOUT)
    except RPCError as error:
        if error.status is RPCStatusCode.NOT_FOUND:
            word = sanction.value.replace("_", "-")
            raise CliError(
                Exit.NOT_FOUND,
                f"no {word} sanction is being followed up on {reference}: see `conduct cases --sanctions-due`",
            ) from None
        raise


# ----------------------------------------------------------------------------- the list


def sanctions_due(
    settings: Settings, who: Officer, stage: object, group: str | None, overdue: bool, closed: bool,
    council: str | None, member: str | None, json_: bool,
) -> None:  # fmt: skip
    """`conduct cases --sanctions-due`: the flags that filter cases do not apply (exit 2); those who
    read every case's stage and clocks read the follow-ups (exit 3 for anyone else)."""
    from conduct.access import sees_every_case

    given = [flag for flag, on in (("--stage", stage is not None), ("--group", group is not None),
                                   ("--overdue", overdue), ("--closed/--all", closed)) if on]  # fmt: skip
    if given:
        fail(
            Exit.USAGE, f"--sanctions-due lists open follow-ups by --council and --member; not with {', '.join(given)}"
        )
    if not sees_every_case(who):
        fail(
            Exit.REFUSED,
            f"{who.id} cannot list the sanctions followed up: it needs the MO, deputy or democratic services",
        )
    list_due(settings, council, member, json_)


def list_due(settings: Settings, council: str | None, member: str | None, json_: bool) -> None:
    """Open follow-ups from the register, soonest due first."""
    from conduct import sanction_register
    from conduct.calendar import london_date
    from starter import roster_io

    with roster_io.register(settings) as engine:
        lines = sanction_register.due_lines(engine, london_date(datetime.now(UTC)), council, member)
    if json_:
        output.emit_json([line.model_dump(mode="json") for line in lines])
        return
    if not lines:
        output.out().print("No sanctions are being followed up.")
        return
    from rich.table import Table

    table = Table(title="Sanctions being followed up (R17)", title_justify="left")
    for column in ("reference", "sanction", "member", "terms", "due", "days left", "status"):
        table.add_column(column)
    for x in lines:
        status = "overdue: MO told" if x.escalated else x.status
        cells = [x.reference, x.sanction.replace("_", "-"), ", ".join(x.subject_members), x.terms, x.due.isoformat(),
                 str(x.days_left), status]  # fmt: skip
        table.add_row(*(esc(c) for c in cells))
    output.out().print(table)


# ----------------------------------------------------------------------------- the training register


def complete_from_register(settings: Settings, as_officer: str | None, members: list[str]) -> list[str]:
    """After attendance is recorded: each open training follow-up of these members whose course the
    register now shows them all to have attended is recorded complied with (on the session's day),
    signed by the officer who recorded the attendance. Returns lines to print; never fails the
    attendance already recorded (a follow-up also asks the register itself at its due date)."""
    from conduct import sanction_register
    from starter import roster_io

    with roster_io.register(settings) as engine:
        open_rows = sanction_register.open_training(engine, members)
        found = [
            (row, sanction_register.course_met(engine, list(row.subject_members), row.course, row.hearing_date))
            for row in open_rows
        ]
    lines = []
    for row, met in found:
        if met.held_on is None:
            continue
        try:
            record(settings, as_officer, row.reference, Sanction.TRAINING, met.held_on,
                   session=met.session, quiet=True)  # fmt: skip
        except CliError as error:
            lines.append(f"{row.reference}: the training sanction was not recorded as complied with: {error.message}")
            continue
        lines.append(f"{row.reference}: training sanction complied with on {met.held_on.isoformat()} ({met.session})")
    return lines
