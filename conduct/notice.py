"""The published decision notice (R12, best practice 9): facts, provisions engaged, the IP's
view, reasoning and sanction. The complainant is never named in it."""

from datetime import datetime

from pydantic import BaseModel

from conduct.case import CaseState
from conduct.roster import Roster
from conduct.vocabulary import PROVISION_TITLES, SANCTION_TITLES, Finding


class PublishNotice(BaseModel):
    """R12: publish the decision notice of a case decided after a formal investigation."""

    reference: str
    council: str
    text: str
    at: datetime


def decision_notice_text(case: CaseState, roster: Roster) -> str:
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
