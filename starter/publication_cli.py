"""`conduct publish` and `conduct unpublish` (R12): the MO's approval of the drafted decision notice,
its preview, correction and withdrawal. The commands themselves are in starter/actions_cli.py.

The notice is checked here before anything is sent, with the same functions the workflow's
validator uses (conduct/publication.py, conduct/publication_rules.py): a refusal lists each text
that would make the complainant known, with where it is. The texts themselves are shown to the
officer (an MO or deputy, who may read them) but never written to the audit log, and the
workflow's own refusal names only what and where.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from starter.output import Exit, fail

if TYPE_CHECKING:
    from conduct.case import CaseState
    from conduct.settings import Settings

PUBLISH = "publish"


def statement_from(file: Path) -> str:
    """The brief statement of facts for the public, from a file (or - for stdin), with the checks
    every officer's text gets (starter/text_input.py: size, text, not a secret)."""
    from conduct.settings import get_settings
    from starter import text_input

    settings = get_settings()
    text = text_input.read_text_file(
        file, settings.text_max_kib * 1024, text_input.secret_files(settings), sys.stdin
    ).strip()
    if not text:
        fail(Exit.USAGE, f"{file} holds no text: give the statement of facts in --statement-file")
    return text


def publish(
    settings: Settings,
    as_officer: str | None,
    reference: str,
    *,
    preview: bool,
    statement: str,
    redactions: list[str],
    correct: bool,
) -> None:
    """Preview (a read: nothing is sent), or check and publish."""
    from conduct import actions as a
    from conduct import publication as pub
    from conduct import publication_rules
    from conduct.access import action_refusal
    from starter import access_cli, session
    from starter.act import build, perform
    from starter.officer import identify

    flags = {"statement": "--statement-file", "redactions": "--redact", "correct": "--correct"}
    payload = build(a.Publish, "-", flags, statement=statement, redactions=redactions, correct=correct)
    assert isinstance(payload, a.Publish)
    officer = identify(settings, as_officer)
    state: CaseState = session.run(settings, lambda client: session.status(client, reference), reference)
    refused = action_refusal(officer, state, PUBLISH)
    if refused is not None:
        access_cli.refuse(settings, "action", officer.id, refused, case=reference, action=PUBLISH)
    if state.notice is None:
        reason = publication_rules.precondition(state, PUBLISH) or "no notice"
        access_cli.refuse(settings, "action", officer.id, f"{reference}: refused: {reason}", case=reference,
                          action=PUBLISH)  # fmt: skip
    new = pub.revised(state.notice, payload.statement, payload.redactions)
    found = pub.matches(pub.view(new), publication_rules.protected(state))
    if preview:
        corrected = _today() if correct else None
        typer.echo(pub.as_text(pub.view(new, corrected_on=corrected)), nl=False)
        if found:
            typer.echo(f"\nThis text would be refused: {pub.refusal(found, show=True)}.", err=True)
        return
    if found:
        access_cli.note(settings, "action", officer.id, "refused", case=reference, action=PUBLISH,
                        reason=f"{reference}: refused: {pub.refusal(found, show=False)}")  # fmt: skip
        fail(Exit.REFUSED, f"{reference}: refused: {pub.refusal(found, show=True)}")
    perform(settings, as_officer, reference, PUBLISH, a.Publish, flags,
            statement=payload.statement, redactions=payload.redactions, correct=correct)  # fmt: skip


def _today():  # noqa: ANN202
    from datetime import UTC, datetime

    from conduct.calendar import london_date

    return london_date(datetime.now(UTC))
