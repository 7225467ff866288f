"""Activities of the GroupReport workflow: the group's figures from the register, the leader's
link and reminders, the Monitoring Officer's notice of a report not returned, and the register's
mirror of the report. Referred to by name only; never imported into a workflow.

Each message has one idempotency key (workflow, kind, number, recipient), kept in the
`notifications` table: a retried activity does not send twice. The link is signed here, with the
secret the web app checks it with (conduct/report_links.py); it never enters the workflow.
"""

from __future__ import annotations

from datetime import UTC, datetime

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.mail import MailPermanentError, OutgoingMail
from activities.notifications import LetterActivities, while_alive
from conduct import group_report_register, register
from conduct.group_figures import group_figures
from conduct.group_report import (
    HEADINGS,
    SOURCE_TITLES,
    FiguresRequest,
    GroupFigures,
    GroupReportState,
    LeaderMail,
    Notice,
    OverdueMail,
    period_label,
)
from conduct.register import NotificationRow
from conduct.report_links import GroupReportSettings, LinkSigner, ReportLink, link_url, resolve_secret
from conduct.roster import Roster
from conduct.roster_store import current_roster
from conduct.vocabulary import RecipientRole, Role


def mail_reference(figures: GroupFigures) -> str:
    """What the outbox and the register file these messages under (never a case reference)."""
    return f"GROUP-REPORT-{figures.period_to.year}"


class GroupReportActivities:
    """Shares the letter activities' settings, register engine and mail backend."""

    def __init__(self, letters: LetterActivities, config: GroupReportSettings | None = None) -> None:
        self.letters = letters
        self.settings = letters.settings
        self.engine = letters.engine
        self.backend = letters.backend
        self.executor = getattr(letters, "executor", None)  # the letters' thread pool
        self.config = config or GroupReportSettings()
        self._signer: LinkSigner | None = None
        self.env = Environment(
            loader=FileSystemLoader(self.settings.templates_dir / "group_reports"),
            autoescape=select_autoescape(["html", "html.j2"]),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )

    @property
    def signer(self) -> LinkSigner:
        if self._signer is None:
            self._signer = LinkSigner(resolve_secret(self.config, self.settings.data_dir))
        return self._signer

    def _roster(self) -> Roster:
        roster = current_roster(self.engine) or self.letters.roster
        if roster is None:
            raise ApplicationError("no roster in force: import one with `conduct roster import`", non_retryable=True)
        return roster

    # ------------------------------------------------------------------ blocking work

    def _figures(self, request: FiguresRequest) -> GroupFigures:
        try:
            return group_figures(self.engine, request)
        except LookupError as err:
            raise ApplicationError(str(err), type="GroupReportSetup", non_retryable=True) from None

    def _send(self, key: str, to: str, name: str, role: RecipientRole, template: str, context: dict) -> None:
        if register.notification_sent(self.engine, key):
            activity.logger.info("group report message %s already sent; not sending again", key)
            return
        figures: GroupFigures = context["figures"]
        context = {**context, "period": period_label(figures.period_from, figures.period_to), "name": name}
        subject = self.env.get_template(f"{template}.subject.j2").render(context).strip()
        mail = OutgoingMail(
            key=key,
            to=to,
            to_name=name,
            subject=subject,
            text=self.env.get_template(f"{template}.txt.j2").render(context),
            html=self.env.get_template(f"{template}.html.j2").render(context),
            sender=self.settings.mail_from,
            reference=mail_reference(figures),
        )
        try:
            self.backend.send(mail)
        except MailPermanentError as err:
            raise ApplicationError(
                f"group report message {key} refused: {err}", type="MailPermanentError", non_retryable=True
            ) from err

        def record(s: object) -> None:
            if not register.notification_sent(s, key):  # type: ignore[arg-type]
                s.add(  # type: ignore[attr-defined]
                    NotificationRow(
                        key=key,
                        reference=mail_reference(figures),
                        template=f"group_report_{template}",
                        to=to,
                        role=role.value,
                        subject=subject,
                        sent_at=datetime.now(UTC),
                    )
                )

        register._transaction(self.engine, record)

    def _mail_leader(self, mail: LeaderMail) -> None:
        roster = self._roster()
        figures, start = mail.figures, mail.start
        leader = roster.group_leader(start.council, start.group)
        token = self.signer.token(ReportLink(workflow_id=mail.workflow_id, expires_on=start.expires_on))
        context = {
            "figures": figures,
            "start": start,
            "link": link_url(self.config.base_url, token),
            "notice": mail.notice.value,
            "number": mail.number,
            "headings": HEADINGS,
            "sources": SOURCE_TITLES,
            "for_leader": leader is not None,
        }
        key = f"group-report:{mail.workflow_id}:{mail.notice.value}:{mail.number}"
        if leader is not None:
            self._send(key, leader.email, leader.name, RecipientRole.GROUP_LEADER, "leader_link", context)
            return
        # No Group Leader on the roster: the Monitoring Officer receives the link to pass on.
        for officer in roster.officers_with(Role.MONITORING_OFFICER):
            self._send(
                f"{key}:{officer.id}", officer.email, officer.name, RecipientRole.MONITORING_OFFICER, "leader_link",
                context,
            )  # fmt: skip

    def _overdue(self, mail: OverdueMail) -> None:
        roster = self._roster()
        context = {"figures": mail.figures, "start": mail.start, "drafting": mail.drafting}
        for officer in roster.officers_with(Role.MONITORING_OFFICER):
            key = f"group-report:{mail.workflow_id}:overdue:{officer.id}"
            self._send(key, officer.email, officer.name, RecipientRole.MONITORING_OFFICER, "overdue", context)

    def _record(self, state: GroupReportState) -> None:
        group_report_register.mirror(self.engine, state)

    # ------------------------------------------------------------------ activities

    @activity.defn(name="group_report_figures")
    async def figures(self, request: FiguresRequest) -> GroupFigures:
        return await while_alive(self._figures, request, self.executor)

    @activity.defn(name="group_report_mail_leader")
    async def mail_leader(self, mail: LeaderMail) -> None:
        await while_alive(self._mail_leader, mail, self.executor)

    @activity.defn(name="group_report_overdue")
    async def overdue(self, mail: OverdueMail) -> None:
        await while_alive(self._overdue, mail, self.executor)

    @activity.defn(name="group_report_record")
    async def record(self, state: GroupReportState) -> None:
        await while_alive(self._record, state, self.executor)

    def activities(self) -> list:
        """For Worker(activities=...)."""
        return [self.figures, self.mail_leader, self.overdue, self.record]


__all__ = ["GroupReportActivities", "Notice", "mail_reference"]
