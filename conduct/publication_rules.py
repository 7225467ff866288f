"""R12's checks, for the workflow's validators (conduct/rules.py merges them): a decision notice is
published only once drafted and only if it names neither the complainant nor another member of the
public; it is corrected or withdrawn only once published. Also best practice 9's demands on the
hearing outcome the notice is drafted from: the IP's view, and the provisions found breached.

A refusal here goes to the officer, the audit log and the workflow's history of refusals: it says
what was found and where, never the found text itself (the CLI shows that to the MO, who may see it).
"""

from __future__ import annotations

from datetime import date

from conduct import actions as a
from conduct import publication as pub
from conduct.calendar import london_date
from conduct.case import CaseState
from conduct.roster import Roster
from conduct.vocabulary import Finding

_ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth")


def protected(case: CaseState) -> list[pub.Protected]:
    """What this case's public notice must never hold: the complainant's details, confidential or
    not. (The case records no other member of the public as a party; a name given for one would be
    added here.)"""
    c = case.intake.complainant
    return pub.protected_items(name=c.name, email=c.email, phone=c.phone, address=c.address)


def precondition(case: CaseState, name: str) -> str | None:
    """What must hold of the case for publish or unpublish, whatever the payload."""
    if name not in ("publish", "unpublish"):
        return None
    notice = case.notice
    if notice is None:
        return "the case has no drafted decision notice (issue-notice drafts it, after a hearing) (R12)"
    if name == "unpublish" and notice.status is not pub.NoticeStatus.PUBLISHED:
        return f"the decision notice is {notice.status.value}, not published"
    return None


def _when(at: object) -> str:
    return pub.long_date(london_date(at)) if at else "an earlier date"  # type: ignore[arg-type]


def publish_refusal(case: CaseState, roster: Roster, p: a.Publish, today: date) -> str | None:
    notice = case.notice
    assert notice is not None  # precondition
    status = notice.status
    if status is pub.NoticeStatus.DRAFT and p.correct:
        return "the notice has not been published yet: publish it without --correct"
    if status is pub.NoticeStatus.PUBLISHED and not p.correct:
        return (
            f"the notice was published on {_when(notice.published_at)}; "
            "to change it, publish --correct with --statement-file or --redact"
        )
    if status is pub.NoticeStatus.WITHDRAWN and not p.correct:
        return (
            f"the notice was withdrawn on {_when(notice.withdrawn_at)}; "
            "republish it with --correct and --statement-file or --redact"
        )
    return check_text(case, p)


def check_text(case: CaseState, p: a.Publish) -> str | None:
    """The notice as it would be published: every text to redact is in it, and nothing protected is."""
    notice = case.notice
    assert notice is not None
    new = pub.revised(notice, p.statement, p.redactions)
    unredacted = pub.as_text(pub.view(new.model_copy(update={"redactions": []})))
    for i, text in enumerate(p.redactions):
        if text in notice.redactions:
            continue
        if pub.redact(unredacted, [text]) == unredacted:
            nth = _ORDINALS[i] if i < len(_ORDINALS) else f"number {i + 1}"
            return f"the {nth} text to redact occurs nowhere in the notice"
    found = pub.matches(pub.view(new), protected(case))
    return pub.refusal(found, show=False) if found else None


def unpublish_refusal(case: CaseState, roster: Roster, p: a.Unpublish, today: date) -> str | None:
    return None


def outcome_refusal(p: a.RecordHearingOutcome) -> str | None:
    """Best practice 9: the notice gives the IP's view and the provisions found breached, so the
    hearing outcome records them (outcomes recorded before this decode with empty defaults)."""
    if not p.ip_view.strip():
        return "record the Independent Person's view on breach and sanction (--ip-view)"
    if p.finding is Finding.BREACH and not p.breached:
        return "a finding of breach names the provisions of the Code found breached (--breached, repeatable)"
    if p.finding is Finding.NO_BREACH and p.breached:
        return "provisions found breached belong to a finding of breach"
    return None


CHECKS = {"publish": publish_refusal, "unpublish": unpublish_refusal}
