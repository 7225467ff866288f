"""Keeping the record (issue 16) and conflicts of interest (R16) as commands: `conduct note`,
`conduct letter`, `conduct unlink` and `conduct conflict`. Like starter/actions_cli.py, each maps
its flags onto the action's payload (conduct/record_actions.py) and `starter.act.perform` does
the rest: the person check (conduct/access.py), the workflow's rules, exit codes."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from starter import cli_values
from starter.act import perform, text_from
from starter.actions_cli import AsOfficer, Clock, Ref, Reviewed
from starter.output import Exit, fail, handled
from starter.words import domain

if TYPE_CHECKING:
    from temporalio.client import Client

    from conduct.settings import Settings

app = typer.Typer()

# conduct.record.LetterParty with hyphens (spelt out: the CLI starts without pydantic; a test holds them equal)
PARTIES = ("complainant", "subject", "investigator", "group-leader", "committee-chair", "parish-clerk")
PartyTo = Enum("PartyTo", {word.upper().replace("-", "_"): word for word in PARTIES}, type=str)  # type: ignore[misc]
OtherRef = Annotated[
    str,
    typer.Argument(metavar="OTHER_REF", help="the other case", show_default=False, callback=cli_values.reference),
]


@app.command()
@handled
def note(
    reference: Ref,
    text: Annotated[
        str | None,
        typer.Option("--text", help="the note: kept on the case and in its history, never sent", show_default=False),
    ] = None,
    file: Annotated[
        Path | None, typer.Option("--file", help="read the note from this file (- for stdin)", show_default=False)
    ] = None,
    delay_reason: Annotated[
        str | None,
        typer.Option(
            "--delay-reason",
            help="why a lapsed clock was late: on the case, in its history and beside the lapse in `conduct review`",
            show_default=False,
        ),
    ] = None,
    clock: Clock = None,
    as_officer: AsOfficer = None,
) -> None:
    """Add an internal note to a case (never sent in a letter), or the reason a lapsed clock was late.
    Notes are read by those who may read the case's papers (MO, deputy, the appointed IO)."""
    from conduct.record_actions import AddNote
    from conduct.settings import get_settings
    from conduct.vocabulary import ClockName

    if delay_reason is not None:
        if text is not None or file is not None:
            fail(Exit.USAGE, "give a note (--text or --file) or a --delay-reason, not both")
        if not delay_reason.strip():
            fail(Exit.USAGE, "say why the clock was late: --delay-reason TEXT")
        fields = {"delay_reason": text_from(delay_reason, None, what="delay reason")}
        fields["clock"] = domain(clock, ClockName) if clock else None  # type: ignore[assignment]
    else:
        if clock is not None:
            fail(Exit.USAGE, "--clock goes with --delay-reason (the lapsed clock it explains)")
        fields = {"text": text_from(text, file, what="note")}
    perform(get_settings(), as_officer, reference, "note", AddNote, {"delay_reason": "--delay-reason"}, **fields)


@app.command()
@handled
def letter(
    reference: Ref,
    to: Annotated[PartyTo, typer.Option("--to", help="who the letter goes to", show_default=False)],  # type: ignore[valid-type]
    file: Annotated[
        Path | None,
        typer.Option("--file", help="the letter's text, sent by e-mail to the party (- for stdin)", show_default=False),
    ] = None,
    text: Annotated[
        str | None, typer.Option("--text", help="the letter's text, sent to the party", show_default=False)
    ] = None,
    reviewed: Reviewed = False,
    as_officer: AsOfficer = None,
) -> None:
    """Send a one-off letter to a party, signed for the Monitoring Officer and recorded with the
    case's other letters (`conduct show` lists it under correspondence). A letter to the subject
    member, a Group Leader, the committee chair or the parish clerk that names a confidential
    complainant is refused unless --reviewed (R18)."""
    from conduct.record import LetterParty
    from conduct.record_actions import SendLetter
    from conduct.settings import get_settings

    body = text_from(text, file, what="letter")
    party = domain(to, LetterParty)
    perform(get_settings(), as_officer, reference, "letter", SendLetter, {"text": "--file"}, to=party, text=body,
            reviewed=reviewed)  # fmt: skip


@app.command()
@handled
def conflict(
    reference: Ref,
    officer: Annotated[
        str, typer.Option("--officer", help="the officer who has a conflict of interest", show_default=False)
    ],
    reason: Annotated[
        str,
        typer.Option(help="why: kept on the case for those who may read its papers, never sent", show_default=False),
    ],
    as_officer: AsOfficer = None,
) -> None:
    """R16: record that an officer has a conflict of interest on the case; they take no part in it
    from now on. For a conflicted Monitoring Officer the deputy acts and signs the letters."""
    from conduct.record_actions import RecordConflict
    from conduct.settings import get_settings

    if not officer.strip():
        fail(Exit.USAGE, "say which officer has the conflict: --officer ID (as on the roster)")
    if not reason.strip():
        fail(Exit.USAGE, "say why: --reason TEXT")
    perform(get_settings(), as_officer, reference, "conflict", RecordConflict,
            {"conflicted": "--officer"}, conflicted=officer.strip(), reason=reason.strip())  # fmt: skip


@app.command()
@handled
def unlink(
    reference: Ref,
    other: OtherRef,
    reason: Annotated[str, typer.Option(help="why the complaints are no longer considered together")] = "",
    as_officer: AsOfficer = None,
) -> None:
    """R14: stop considering this complaint together with another; both cases record it."""
    from conduct.record_actions import Unlink
    from conduct.settings import get_settings

    if not reason.strip():
        fail(Exit.USAGE, "say why the complaints are unlinked: --reason TEXT")
    perform(get_settings(), as_officer, reference, "unlink", Unlink, {"other_reference": "OTHER_REF"},
            other_reference=other, reason=reason.strip())  # fmt: skip


def subjects_of(settings: Settings, reference: str) -> list[str]:
    """The subject members of another case, for `conduct link` (R14: different members need a reason)."""
    from starter import session

    async def work(client: Client) -> list[str]:
        return list((await session.status(client, reference)).subject_members)

    return session.run(settings, work, reference)
