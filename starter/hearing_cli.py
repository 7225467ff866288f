"""R9's hearing commands: the subject member's response, the MO's summary for the panel, changes
after scheduling, a replacement Investigating Officer; and the arrangement flags of
`schedule-hearing` (time, venue, private, short notice, reason). The rules are
conduct/hearing_rules.py; the commands only map flags onto payloads, as in starter/actions_cli.py,
whose `app` these commands join.
"""

from __future__ import annotations

from datetime import time as clock_time
from typing import Annotated

import typer

from starter import actions_cli
from starter.act import perform, text_from
from starter.actions_cli import AsOfficer, File, Ref, Text
from starter.output import Exit, fail, handled

app = typer.Typer()

Time = Annotated[
    str | None,
    typer.Option("--time", help="when the hearing starts, HH:MM (printed in every notice)", show_default=False),
]
Venue = Annotated[str, typer.Option("--venue", help="where it is held (printed in every notice)", show_default=False)]
Private = Annotated[
    bool, typer.Option("--private", help="held in private: Schedule 12A exempt information (needs --private-reason)")
]
PrivateReason = Annotated[
    str,
    typer.Option("--private-reason", help="why in private; printed in every notice to the parties and panel"),
]
ShortNotice = Annotated[
    bool, typer.Option("--short-notice", help="the parties agree to less than 5 clear working days (needs --reason)")
]
Reason = Annotated[
    str,
    typer.Option(
        "--reason",
        help="why at short notice, after the 3-month due date, or with the assessment IP; kept on the case, "
        "not printed in letters",
    ),
]


def clock(value: str | None) -> clock_time | None:
    """--time HH:MM, or a usage error (exit 2)."""
    if value is None:
        return None
    try:
        hours, minutes = value.strip().split(":")
        return clock_time(int(hours), int(minutes))
    except ValueError:
        fail(Exit.USAGE, f"--time: {value!r} is not a time of day; give it as HH:MM, e.g. 10:00")


@app.command("subject-response")
@handled
def subject_response(
    reference: Ref,
    agreed: Annotated[str, typer.Option(help="facts the subject member agrees; goes to the panel and parties")] = "",
    disputed: Annotated[
        str, typer.Option(help="facts the subject member disputes; goes to the panel and parties")
    ] = "",
    evidence: Annotated[
        str, typer.Option(help="evidence they rely on (none new at the hearing); goes to the panel and parties")
    ] = "",
    as_officer: AsOfficer = None,
) -> None:
    """R9: record the subject member's written response to the final report (facts agreed and disputed,
    evidence relied on). Late responses are recorded, marked late; the papers go out again."""
    from conduct import hearing_rules
    from conduct.settings import get_settings

    if not (agreed.strip() or disputed.strip()):
        fail(Exit.USAGE, "give the facts agreed (--agreed) or disputed (--disputed), or both")
    perform(get_settings(), as_officer, reference, "subject_response", hearing_rules.RecordSubjectResponse,
            agreed=agreed, disputed=disputed, evidence=evidence)  # fmt: skip


@app.command("hearing-summary")
@handled
def hearing_summary(reference: Ref, text: Text = None, file: File = None, as_officer: AsOfficer = None) -> None:
    """R9: record the Monitoring Officer's summary for the panel (the allegation, agreed facts, disputed
    issues). It goes to the panel and the parties with the hearing papers."""
    from conduct import hearing_rules
    from conduct.settings import get_settings

    body = text_from(text, file, what="summary")
    perform(get_settings(), as_officer, reference, "hearing_summary", hearing_rules.RecordHearingSummary, text=body)


@app.command("change-hearing")
@handled
def change_hearing(
    reference: Ref,
    reason: Annotated[str, typer.Option(help="why; printed in the new notices", show_default=False)],
    panel: Annotated[str | None, typer.Option(help="the new panel: ID,ID,ID", show_default=False)] = None,
    ip: Annotated[str | None, typer.Option("--ip", help="the Independent Person now attending")] = None,
    parish_adviser: Annotated[str | None, typer.Option(help="the parish co-optee now advising")] = None,
    time: Time = None,
    venue: Annotated[str | None, typer.Option(help="the new venue (printed in every notice)")] = None,
    as_officer: AsOfficer = None,
) -> None:
    """R9: change the panel, the Independent Person, the parish adviser, the time or the venue after the
    hearing was fixed; everyone attending gets a new notice, and anyone released is told."""
    from conduct import hearing_rules
    from conduct.settings import get_settings

    members = [m.strip() for m in panel.split(",") if m.strip()] if panel is not None else None
    perform(get_settings(), as_officer, reference, "change_hearing", hearing_rules.ChangeHearing,
            {"starts_at": "--time"}, panel=members, ip=ip, parish_adviser=parish_adviser, starts_at=clock(time),
            venue=venue, reason=reason)  # fmt: skip


@app.command("replace-investigator")
@handled
def replace_investigator(
    reference: Ref,
    officer: Annotated[str, typer.Option("--officer", help="the new Investigating Officer's id", show_default=False)],
    reason: Annotated[str, typer.Option(help="why; told to the two officers only", show_default=False)],
    as_officer: AsOfficer = None,
) -> None:
    """R6/R7: another Investigating Officer takes over, with a reason; the investigation clock goes on."""
    from conduct import hearing_rules
    from conduct.settings import get_settings

    perform(get_settings(), as_officer, reference, "replace_investigator", hearing_rules.ReplaceInvestigator,
            {"investigator": "--officer"}, investigator=officer, reason=reason)  # fmt: skip


actions_cli.app.registered_commands += app.registered_commands
