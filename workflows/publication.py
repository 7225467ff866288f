"""R12 in the workflow: the decision notice is drafted at issue-notice, published only when the MO
or deputy approves it, and can be corrected or withdrawn afterwards; each is an officer action
(a workflow update) recorded in the case's history.

A decided case's workflow stays open after closure while it has a notice, for
`procedure.publication_window_days` after the notice last changed, so that it can still be
published, corrected or withdrawn; after that the run ends and the page stays as it was.
The checks (nothing naming the complainant) are conduct/publication_rules.py, the content and
the matching conduct/publication.py.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from conduct import actions as a
    from conduct import publication as pub
    from conduct.case import CaseState
    from conduct.notice import PublishNotice, draft_notice
    from conduct.procedure import ProcedureSettings
    from conduct.roster import Roster
    from workflows.post import ALIVE, DURABLE_RETRY

REGISTER_TIMEOUT = timedelta(seconds=30)


class Publication:
    state: CaseState
    roster: Roster
    procedure: ProcedureSettings
    _log: Callable[..., None]
    _notice_changes: int = 0

    def _draft_notice(self, officer: str) -> pub.PublicNotice:
        """R12: the notice as drafted from the record, held on the case until approved."""
        notice = pub.PublicNotice(content=draft_notice(self.state, self.roster), drafted_at=workflow.now())
        self.state.notice = notice
        self._log("notice_drafted", "public decision notice drafted; it is published once the MO approves it (R12)",
                  officer)  # fmt: skip
        return notice

    async def _publish_decision(self, p: a.Publish) -> str:
        """Publish the draft, or (`--correct`) republish a published or withdrawn notice marked as
        corrected. The validator has checked the text it publishes (publication_rules)."""
        old = self.state.notice
        assert old is not None
        now = workflow.now()
        new = pub.revised(old, p.statement, p.redactions).model_copy(
            update={
                "status": pub.NoticeStatus.PUBLISHED,
                "version": old.version + 1,
                "published_at": old.published_at or now,
                "corrected_at": now if p.correct else old.corrected_at,
                "withdrawn_at": None,
                "withdrawn_reason": "",
            }
        )
        await self._write_notice(new)
        self.state.notice = new
        self.state.published = True
        self._notice_changes += 1
        if p.correct:
            self._log("notice_corrected", "decision notice corrected and republished (R12)", p.officer)
            return f"decision notice corrected and republished at /decisions/{self.state.reference}"
        self._log("published", "decision notice approved and published (R12)", p.officer)
        return f"decision notice published at /decisions/{self.state.reference}"

    async def _unpublish_decision(self, p: a.Unpublish) -> str:
        """Take the notice down: the page answers 410 and says it was withdrawn (the reason stays
        in the case's history)."""
        old = self.state.notice
        assert old is not None
        new = old.model_copy(
            update={
                "status": pub.NoticeStatus.WITHDRAWN,
                "version": old.version + 1,
                "withdrawn_at": workflow.now(),
                "withdrawn_reason": p.reason,
            }
        )
        await self._write_notice(new)
        self.state.notice = new
        self.state.published = False
        self._notice_changes += 1
        self._log("notice_withdrawn", f"decision notice withdrawn: {p.reason}", p.officer)
        return f"decision notice withdrawn: /decisions/{self.state.reference} now says so"

    async def _write_notice(self, notice: pub.PublicNotice) -> None:
        """The register's public copy (activities: publish_notice), idempotent by version."""
        view = pub.view(notice)
        withdrawn = notice.status is pub.NoticeStatus.WITHDRAWN
        request = PublishNotice(
            reference=self.state.reference,
            council=self.state.council,
            text="" if withdrawn else pub.as_text(view),
            at=workflow.now(),
            status=notice.status,
            version=notice.version,
            content=None if withdrawn else view.model_dump(mode="json"),
            councillors=view.councillors,
            outcome=view.outcome,
            decided_on=view.hearing_date,
            corrected_at=notice.corrected_at,
            withdrawn_at=notice.withdrawn_at,
        )
        await workflow.execute_activity(
            "publish_notice",
            request,
            start_to_close_timeout=REGISTER_TIMEOUT,
            heartbeat_timeout=ALIVE,
            retry_policy=DURABLE_RETRY,
            summary="decision notice withdrawal" if withdrawn else "decision notice",
        )

    async def _publication_window(self) -> None:
        """Stay open while the notice may still be approved, corrected or withdrawn: until
        `publication_window_days` pass with no change to it."""
        window = timedelta(days=self.procedure.publication_window_days)
        while True:
            seen = self._notice_changes
            try:
                await workflow.wait_condition(
                    lambda seen=seen: self._notice_changes != seen, timeout=window, timeout_summary="publication window"
                )
            except TimeoutError:
                return
