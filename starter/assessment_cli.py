"""Sections 3-4 as commands: the referrals' answers (`conduct police-answer`, `conduct
association-answer`), and the flags every `conduct assess` gives for the initial tests and the public
interest test. Like starter/actions_cli.py, each maps its flags onto the payload
(conduct/actions.py, conduct/assessment.py) and `starter.act.perform` does the rest."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import typer

from conduct.destinations import NOTE_GOES_TO, goes_to
from starter.act import perform, text_from
from starter.actions_cli import AsOfficer, File, Ref, _told
from starter.output import handled
from starter.words import domain

app = typer.Typer()
# Spelt out (the CLI starts without pydantic): conduct.assessment.PoliceAnswer / AssociationAnswer with hyphens.
PoliceWord = Enum("PoliceWord", {"NO_ACTION": "no-action", "CAUTIONED": "cautioned", "CHARGED": "charged"}, type=str)  # type: ignore[misc]
AssociationWord = Enum("AssociationWord", {"RETURNED": "returned", "SETTLED": "settled"}, type=str)  # type: ignore[misc]


@app.command("police-answer")
@handled
def police_answer(
    reference: Ref,
    outcome: Annotated[PoliceWord, typer.Option(help="what the police will do", show_default=False)],  # type: ignore[valid-type]
    text: Annotated[
        str | None,
        typer.Option("--text", help=f"what the police said; {goes_to('police_answer', 'text')}", show_default=False),
    ] = None,
    file: File = None,
    note: Annotated[str, typer.Option("--note", help=NOTE_GOES_TO)] = "",
    as_officer: AsOfficer = None,
) -> None:
    """R3: the police's answer to a referral. No action: back to assessment; a caution or a charge: closed."""
    from conduct import actions as a
    from conduct.assessment import PoliceAnswer
    from conduct.settings import get_settings

    body = text_from(text, file, what="police's answer")
    perform(get_settings(), as_officer, reference, "police_answer", a.RecordPoliceAnswer, {"text": "--text"},
            outcome=domain(outcome, PoliceAnswer), text=body, note=note)  # fmt: skip
    _told("police_answer", ("--text", "text", body), ("--note", "note", note))


@app.command("association-answer")
@handled
def association_answer(
    reference: Ref,
    outcome: Annotated[
        AssociationWord,  # type: ignore[valid-type]
        typer.Option(help="returned to the procedure, or settled within the parish council", show_default=False),
    ],
    text: Annotated[
        str | None,
        typer.Option(
            "--text", help=f"what the association decided; {goes_to('association_answer', 'text')}", show_default=False
        ),
    ] = None,
    file: File = None,
    note: Annotated[str, typer.Option("--note", help=NOTE_GOES_TO)] = "",
    as_officer: AsOfficer = None,
) -> None:
    """R3: the county association's answer to a parish referral. Returned: assessed again; settled: closed."""
    from conduct import actions as a
    from conduct.assessment import AssociationAnswer
    from conduct.settings import get_settings

    body = text_from(text, file, what="association's answer")
    perform(get_settings(), as_officer, reference, "association_answer", a.RecordAssociationAnswer,
            {"text": "--text"}, outcome=domain(outcome, AssociationAnswer), text=body, note=note)  # fmt: skip
    _told("association_answer", ("--text", "text", body), ("--note", "note", note))
