"""The CLI's side of conduct/access.py: ask the policy, refuse in one line (exit 3) with an audit
line, and show what a reader may see, saying what was withheld.

Every refusal, and every action's outcome, is a line in DATA_DIR/audit.log (conduct/audit.py):
officer, case, action, result and the refusal's reason; never a payload or a token."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, NoReturn

from conduct import audit
from starter.output import Exit, fail

if TYPE_CHECKING:
    from conduct.access import CasePeople, ReadAccess
    from conduct.case import CaseState
    from conduct.roster import Officer
    from conduct.settings import Settings
    from starter.timeline import HistoryEntry

READ = "read"
WITHHELD = "withheld"


def note(settings: Settings, event: str, officer: str | None, result: audit.Result, *, case: str | None = None,
         action: str | None = None, reason: str | None = None) -> None:  # fmt: skip
    """One audit line; a log that cannot be written stops the command (nothing unaudited)."""
    try:
        audit.record(settings.data_dir, event, officer, result, case=case, action=action, reason=reason)
    except OSError as error:
        fail(Exit.ERROR, f"cannot write the audit log in {settings.data_dir}: {error.strerror}")


def refuse(settings: Settings, event: str, officer: str, reason: str, *, case: str | None = None,
           action: str | None = None) -> NoReturn:  # fmt: skip
    note(settings, event, officer, "refused", case=case, action=action, reason=reason)
    fail(Exit.REFUSED, reason)


# ----------------------------------------------------------------------------- reading one case


def readable(settings: Settings, officer: Officer, state: CaseState, command: str) -> ReadAccess:
    """What `officer` may read of the case; refused (exit 3, audited) when nothing."""
    from conduct.access import read_access

    access = read_access(officer, state)
    if access.refused is not None:
        refuse(settings, READ, officer.id, access.refused, case=state.reference, action=command)
    return access


def withheld_json(access: ReadAccess) -> list[dict[str, str]]:
    return [w.model_dump() for w in access.withheld]


def status_json(state: CaseState, access: ReadAccess) -> dict[str, Any]:
    """`conduct status`: the case as the `status` query gives it, less what is withheld, each
    withheld field null and named in `withheld`."""
    from conduct.access import ALLEGATION, IDENTITY, redact

    data: dict[str, Any] = json.loads(redact(state, access).model_dump_json())
    intake = data["intake"]
    if access.withholds(IDENTITY):
        complainant = intake["complainant"]
        for key in ("name", "email", "address", "phone", "member_id"):
            complainant[key] = None
        intake["confidentiality_reason"] = None
        for item in (*data["letters"], *data["delivery_failures"]):
            if item["role"] == "complainant":
                item["to"] = None
                if "error" in item:
                    item["error"] = None
    if access.withholds(ALLEGATION):
        for key in ("description", "provisions", "conduct_dates", "evidence"):
            intake[key] = None
        for key in ("draft_report", "final_report", "comments", "information_requests"):
            data[key] = None
        for consultation in data["consultations"]:
            consultation["view"] = None
        if data.get("withdrawal"):
            data["withdrawal"]["text"] = None
    data[WITHHELD] = withheld_json(access)
    return data


def redact_history(entries: list[HistoryEntry], access: ReadAccess) -> list[HistoryEntry]:
    """`conduct history`: letters' addresses of the complainant only to those who may see who they
    are; the texts actions added to the papers only to those who may read the allegation."""
    from conduct.access import ALLEGATION, IDENTITY

    papers = access.withholds(ALLEGATION)
    if papers is not None:
        entries = [e.model_copy(update={"papers": f"{WITHHELD} ({papers.reason})"}) if e.papers else e for e in entries]
    withheld = access.withholds(IDENTITY)
    if withheld is None:
        return entries
    shown = []
    for entry in entries:
        if any(t.get("role") == "complainant" for t in entry.to):
            to = [{**t, "to": "", WITHHELD: withheld.reason} if t.get("role") == "complainant" else t for t in entry.to]
            entry = entry.model_copy(update={"to": to})
        shown.append(entry)
    return shown


# ----------------------------------------------------------------------------- lists and reports


def may_run(settings: Settings, officer: Officer, report: str) -> None:
    """Refuse (exit 3, audited) a report or export this officer's role may not see."""
    from conduct.access import report_refusal

    reason = report_refusal(officer, report)
    if reason is not None:
        refuse(settings, READ, officer.id, reason, action=report)


def people_on_record(settings: Settings, reference: str) -> CasePeople | None:
    """Who takes part in the case, as the case register holds it (synced at every step the case
    takes); None when the register has no row for it yet. The person check before an action reads
    this rather than asking the case: the workflow's validator checks the same again."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from conduct.access import CasePeople
    from conduct.register import ComplaintRow, PartyRow
    from conduct.vocabulary import RecipientRole
    from starter import roster_io

    with roster_io.register(settings) as engine, Session(engine) as s:
        row = s.execute(
            select(ComplaintRow.stage, ComplaintRow.stood_down, ComplaintRow.deputy_acting).where(
                ComplaintRow.reference == reference
            )
        ).first()
        if row is None:
            return None
        investigator = s.scalar(
            select(PartyRow.party_id).where(
                PartyRow.reference == reference, PartyRow.role == RecipientRole.INVESTIGATING_OFFICER.value
            )
        )
    stage, stood_down, deputy_acting = row
    return CasePeople(
        reference=reference,
        stage=stage,
        investigator=investigator,
        conflicts=list(stood_down or []),
        deputy_acting=bool(deputy_acting),
    )


def appointed_references(settings: Settings, officer_id: str) -> set[str]:
    """The cases the register records `officer_id` as appointed IO to (conduct cases, for an IO)."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from conduct.register import PartyRow
    from conduct.vocabulary import RecipientRole
    from starter import roster_io

    query = select(PartyRow.reference).where(
        PartyRow.role == RecipientRole.INVESTIGATING_OFFICER.value, PartyRow.party_id == officer_id
    )
    with roster_io.register(settings) as engine, Session(engine) as s:
        return set(s.scalars(query))
