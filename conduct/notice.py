"""The published decision notice (R12, best practice 9): facts, provisions found breached, the IP's
view, reasoning and sanction. The complainant is never named in it (conduct/publication.py checks).

`draft_notice` drafts it at issue-notice from the case's record; `decision_notice_text` is the
plain-text notice cases issued before drafts existed published at once (kept for their replay)."""

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from conduct.assessment import attendance_words
from conduct.case import CaseState
from conduct.publication import NoticeContent, NoticeStatus
from conduct.roster import Roster
from conduct.vocabulary import PROVISION_TITLES, SANCTION_TITLES, Finding


class PublishNotice(BaseModel):
    """R12: publish (or withdraw) the decision notice of a case decided after a formal investigation.
    Fields after `at` came with drafts and approval; older histories' inputs have their defaults."""

    model_config = ConfigDict(extra="ignore")

    reference: str
    council: str
    text: str
    at: datetime
    status: NoticeStatus = NoticeStatus.PUBLISHED
    version: int = Field(default=0, description="0: a notice published at issue-notice, before drafts")
    content: dict[str, Any] | None = Field(default=None, description="conduct.publication.NoticeView, as JSON")
    councillors: list[str] = []
    outcome: str | None = None
    decided_on: date | None = None
    corrected_at: datetime | None = None
    withdrawn_at: datetime | None = None


def draft_notice(case: CaseState, roster: Roster) -> NoticeContent:
    """R12 / best practice 9: the notice's content as the case's record has it at issue-notice."""
    outcome, hearing, final = case.hearing_outcome, case.hearing, case.final_report
    if not (outcome and hearing and final):
        raise ValueError(f"{case.reference} has no hearing outcome to give notice of")
    council = roster.council(case.council)
    sub_committee = roster.council(case.hearing_council)
    return NoticeContent(
        reference=case.reference,
        council=case.council,
        council_name=council.name if council else case.council,
        sub_committee=sub_committee.sub_committee if sub_committee else "Hearings Sub-Committee",
        councillors=[m.name for m in (roster.member(i) for i in case.subject_members) if m],
        hearing_date=outcome.hearing_date,
        finding=outcome.finding,
        statement=final.text,
        breached=[PROVISION_TITLES[p] for p in outcome.breached],
        ip_view=outcome.ip_view,
        attendance=attendance_words(outcome.attended, outcome.proceeded_in_absence, outcome.absence_reason),
        reasons=outcome.reasons,
        sanctions=[SANCTION_TITLES[s] for s in outcome.sanctions],
    )


def decision_notice_text(case: CaseState, roster: Roster) -> str:
    """The notice as cases published it at issue-notice before drafts (replayed histories only)."""
    outcome, hearing, final = case.hearing_outcome, case.hearing, case.final_report
    if not (outcome and hearing and final):
        raise ValueError(f"{case.reference} has no hearing outcome to give notice of")
    council = roster.council(case.council)
    sub_committee = roster.council(case.hearing_council)
    ip = roster.independent_person(hearing.ip)
    subjects = ", ".join(m.name for m in (roster.member(i) for i in case.subject_members) if m)
    provisions = "\n".join(f"- {PROVISION_TITLES[p]}" for p in case.intake.provisions)
    sanctions = "\n".join(f"- {SANCTION_TITLES[s]}" for s in outcome.sanctions) or "- none"
    finding = "breach" if outcome.finding is Finding.BREACH else "no breach"
    return (
        f"Decision notice {case.reference}\n"
        f"{council.name if council else case.council}, "
        f"{sub_committee.sub_committee if sub_committee else 'Hearings Sub-Committee'}\n"
        f"Subject member: {subjects}\nHearing: {hearing.date.isoformat()}\n\n"
        f"Statement of facts (from the Investigating Officer's final report):\n{final.text}\n\n"
        f"Provisions of the Code engaged:\n{provisions}\n\n"
        f"Independent Person: {ip.name if ip else hearing.ip} was consulted and attended the hearing.\n\n"
        f"Decision: {finding} of the Code of Conduct.\nReasons:\n{outcome.reasons}\n\n"
        f"Sanctions:\n{sanctions}\n\nThere is no right of appeal against this decision."
    )
