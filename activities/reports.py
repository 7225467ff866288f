"""Activities of the reporting workflow: who receives the periodic reports, and rendering and
sending one recipient's report (HTML e-mail + CSV attachment) from the case register.

Referred to by name only ("report_recipients", "send_report"): never imported into a workflow.
Idempotency: each (period, council filter, recipient) has one key; a key already in the
`notifications` table is not sent again, and the outbox/mail service sees the same key on a retry.

Who sees what: the committee chair of a council sees the cases heard by that council's
sub-committee; a Monitoring Officer sees every case (or the run's council); a Group Leader sees
only the statistics of their own group on their own council, with no case references.
"""

from __future__ import annotations

import asyncio
import csv
import io
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sqlalchemy.orm import Session
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.mail import MailPermanentError, OutgoingMail
from activities.notifications import LetterActivities
from conduct import register
from conduct.register import NotificationRow
from conduct.reports import (
    GROUP_CSV_COLUMNS,
    LEVEL_TITLES,
    LEVELS,
    CaseRecord,
    GroupStatistics,
    RecipientsRequest,
    ReportReceipt,
    ReportRecipient,
    Review,
    SendReport,
    group_rows,
    group_statistics,
    load_cases,
    review,
)
from conduct.roster import Roster
from conduct.roster_store import current_roster
from conduct.vocabulary import RecipientRole, Role


@dataclass
class RenderedReport:
    subject: str
    text: str
    html: str
    csv: str
    csv_name: str


def recipients(roster: Roster, council: str | None = None) -> list[ReportRecipient]:
    """Committee chairs, Monitoring Officers and Group Leaders, in that order."""
    found: list[ReportRecipient] = []
    for c in roster.councils:
        if c.committee_chair and council in (None, c.id):
            found.append(
                ReportRecipient(
                    role=RecipientRole.COMMITTEE_CHAIR,
                    id=c.id,
                    name=c.committee_chair.name,
                    email=str(c.committee_chair.email),
                    council=c.id,
                )
            )
    for o in roster.officers_with(Role.MONITORING_OFFICER):
        found.append(ReportRecipient(role=RecipientRole.MONITORING_OFFICER, id=o.id, name=o.name, email=str(o.email)))
    for g in roster.group_leaders:
        leader = roster.member(g.member)
        if leader and council in (None, g.council):
            found.append(
                ReportRecipient(
                    role=RecipientRole.GROUP_LEADER,
                    id=leader.id,
                    name=leader.name,
                    email=str(leader.email),
                    council=g.council,
                    group=g.group,
                )
            )
    return found


def cases_for(recipient: ReportRecipient, cases: list[CaseRecord]) -> list[CaseRecord]:
    if recipient.role is RecipientRole.COMMITTEE_CHAIR:
        return [c for c in cases if (c.hearing_council or c.council) == recipient.council]
    if recipient.role is RecipientRole.GROUP_LEADER:
        return [
            c
            for c in cases
            if c.council == recipient.council
            and recipient.group in {c.subject_groups.get(m) for m in c.subject_members}
        ]
    return cases


def groups_csv(stats: list[GroupStatistics]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(GROUP_CSV_COLUMNS), lineterminator="\n")
    writer.writeheader()
    writer.writerows(group_rows(stats))
    return buffer.getvalue()


def _environment(templates_dir: Path) -> Environment:
    return Environment(
        loader=FileSystemLoader(templates_dir / "reports"),
        autoescape=select_autoescape(["html", "html.j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_report(request: SendReport, cases: list[CaseRecord], templates_dir: Path) -> RenderedReport:
    """One recipient's report over `cases` (all cases of the period; filtered here)."""
    r = request.recipient
    mine = cases_for(r, cases)
    stats = group_statistics(mine, received_from=request.period.start, received_to=request.period.end)
    leader = r.role is RecipientRole.GROUP_LEADER
    if leader:
        stats = [g for g in stats if g.council == r.council and g.group == r.group]
    the_review: Review | None = None
    if not leader:
        the_review = review(mine, request.as_of, request.period.start, request.period.end, r.council or request.council)
    period = request.period
    what = f"{r.group} group, {r.council}" if leader else (r.council or request.council or "all councils")
    subject = f"Code of Conduct complaints: {'year' if period.kind == 'year' else 'quarter'} {period.label} ({what})"
    context = {
        "subject": subject,
        "recipient": r,
        "period": period,
        "as_of": request.as_of,
        "review": the_review,
        "groups": stats,
        "levels": LEVELS,
        "level_titles": LEVEL_TITLES,
        "leader": leader,
    }
    env = _environment(templates_dir)
    return RenderedReport(
        subject=subject,
        text=env.get_template("report.txt.j2").render(context),
        html=env.get_template("report.html.j2").render(context),
        csv=groups_csv(stats),
        csv_name=f"complaints-{period.label}-{(r.group or r.council or 'all').lower().replace(' ', '-')}.csv",
    )


class ReportActivities:
    """Shares the letter activities' settings, register engine, mail backend and roster."""

    def __init__(self, letters: LetterActivities) -> None:
        self.letters = letters
        self.settings = letters.settings
        self.engine = letters.engine
        self.backend = letters.backend

    def _roster(self) -> Roster:
        roster = current_roster(self.engine) or self.letters.roster
        if roster is None:
            raise ApplicationError("no roster in force: import one with `conduct roster import`", non_retryable=True)
        return roster

    def _recipients(self, request: RecipientsRequest) -> list[ReportRecipient]:
        return recipients(self._roster(), request.council)

    def _send(self, request: SendReport) -> ReportReceipt:
        key, r = request.key, request.recipient
        receipt = ReportReceipt(key=key, to=r.email, role=r.role, period=request.period.label)
        if register.notification_sent(self.engine, key):
            activity.logger.info("report %s already sent; not sending again", key)
            return receipt.model_copy(update={"duplicate": True})
        with Session(self.engine) as session:
            cases = load_cases(session, request.period.start, request.period.end, request.council)
        rendered = render_report(request, cases, self.settings.templates_dir)
        reference = f"REPORT-{request.period.label}"
        mail = OutgoingMail(
            key=key,
            to=r.email,
            to_name=r.name,
            subject=rendered.subject,
            text=rendered.text,
            html=rendered.html,
            sender=self.settings.mail_from,
            reference=reference,
            attachment_text=rendered.csv,
            attachment_name=rendered.csv_name,
            attachment_type="text/csv",
        )
        try:
            self.backend.send(mail)
        except MailPermanentError as err:
            raise ApplicationError(
                f"report {key} refused: {err}", type="MailPermanentError", non_retryable=True
            ) from err

        def record(s: Session) -> None:
            if not register.notification_sent(s, key):
                s.add(
                    NotificationRow(
                        key=key,
                        reference=reference,
                        template=f"report_{request.period.kind}",
                        to=r.email,
                        role=r.role.value,
                        subject=rendered.subject,
                        sent_at=datetime.now(UTC),
                    )
                )

        register._transaction(self.engine, record)
        return receipt

    @activity.defn(name="report_recipients")
    async def report_recipients(self, request: RecipientsRequest) -> list[ReportRecipient]:
        return await asyncio.to_thread(self._recipients, request)

    @activity.defn(name="send_report")
    async def send_report(self, request: SendReport) -> ReportReceipt:
        return await asyncio.to_thread(self._send, request)

    def activities(self) -> list:
        """For Worker(activities=...)."""
        return [self.report_recipients, self.send_report]
