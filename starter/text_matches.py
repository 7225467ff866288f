"""R18 for the officer at the command line: what, in the text they sent, named a confidential
complainant.

The workflow's refusal (conduct.confidentiality.text_refusal) names the field, what was found and
who would read it, but not the text found: that refusal goes into the update's failure, the case's
history and DATA_DIR/audit.log, none of which may hold the complainant's details. The officer who
sent the text may read them (as with `conduct publish`, starter/publication_cli.py), so the command
runs the same check on the text it sent, against the case as its `status` query gives it, and
shows each text found. Only to an officer who may read the complainant's identity; otherwise, or
when the case does not answer, the workflow's words stand.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pydantic import BaseModel

    from conduct.roster import Officer
    from conduct.settings import Settings


def shown(settings: Settings, officer: Officer, reference: str, update: str, payload: BaseModel, reason: str) -> str:
    """`reason` (the workflow's refusal) with the texts found shown, when it is the R18 refusal of
    a text; `reason` unchanged otherwise. Nothing here is written to the audit log."""
    from conduct.access import IDENTITY, read_access
    from conduct.confidentiality import REFUSED, text_refusal
    from starter import session
    from starter.output import CliError

    if REFUSED not in reason:
        return reason
    try:
        state = session.run(settings, lambda client: session.status(client, reference), reference)
    except CliError:  # the case did not answer: the workflow's refusal still says what and where
        return reason
    access = read_access(officer, state)
    if access.refused is not None or access.withholds(IDENTITY):
        return reason
    plain, full = text_refusal(state, update, payload), text_refusal(state, update, payload, show=True)
    if plain is None or full is None:  # the case moved on since (decided, or the window closed)
        return reason
    if plain in reason:
        return reason.replace(plain, full)
    return f"{reason} (in what you sent: {full})"
