"""The Group Leader's page for the yearly report (part of `conduct web`): `/group-report/{token}`.

The token is the leader's personal link (conduct/report_links.py): without a genuine, unexpired
one the page is refused with a plain page (404 not a link, 403 expired), and it opens only the
one group's report it was signed for. The page shows the group's figures (counts only: no case
references, no complainants) and the narrative under the seed's headings. Every button saves:
"Save draft" keeps a draft, "Submit" submits, and a submission with a heading left empty is
kept as a draft and the page says what is missing. Each save is an update of the GroupReport
workflow, so every draft is in its history. No JavaScript.

Imports nothing from starter.web.app (which includes this router): the app's WebState is
reached through `request.app.state.web`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.exc import OperationalError
from temporalio.client import WorkflowUpdateFailedError
from temporalio.service import RPCError, RPCStatusCode

from conduct.calendar import LONDON, london_date
from conduct.group_report import (
    HEADINGS,
    NARRATIVE_LIMIT,
    SOURCE_TITLES,
    GroupReportState,
    Narrative,
    ReportStatus,
    SaveReport,
    period_label,
)
from conduct.report_levels import POINT_TITLES, LevelPoint
from conduct.report_links import GroupReportSettings, LinkSigner, ReportLink, resolve_secret
from workflows.group_report import GroupReportWorkflow

if TYPE_CHECKING:
    from starter.web.app import WebState

log = logging.getLogger("conduct.web.group_reports")
router = APIRouter(include_in_schema=False)
SERVICE = "Group Leaders' reports"
NO_STORE = {"cache-control": "no-store", "x-robots-tag": "noindex"}
_DOWN = (RPCError, RuntimeError, TimeoutError, OSError, OperationalError)


class _Refused(Exception):
    def __init__(self, status: int, title: str, detail: str) -> None:
        self.status, self.title, self.detail = status, title, detail


def _web(request: Request) -> WebState:
    return request.app.state.web


def _signer(request: Request) -> LinkSigner:
    signer = getattr(request.app.state, "group_report_signer", None)
    if signer is None:
        state = _web(request)
        signer = LinkSigner(resolve_secret(GroupReportSettings(), state.settings.data_dir))
        request.app.state.group_report_signer = signer
    return signer


def _plain(request: Request, status: int, title: str, detail: str) -> HTMLResponse:
    return _web(request).render(
        "error.html", status=status, headers=NO_STORE, title=title, code=status, detail=detail, service_name=SERVICE
    )


def _link(request: Request, token: str) -> ReportLink:
    link = _signer(request).read(token)
    if link is None:
        raise _Refused(
            404,
            "This link is not valid",
            "Check that you copied the whole link from the Monitoring Officer's email. If it still does not "
            "work, ask the Monitoring Officer for a new one.",
        )
    if london_date(datetime.now(UTC)) > link.expires_on:
        raise _Refused(
            403,
            "This link has expired",
            f"The link worked until {link.expires_on.day} {link.expires_on:%B %Y}. Ask the Monitoring Officer "
            "if you still need to send your group's report.",
        )
    return link


async def _report(request: Request, link: ReportLink) -> GroupReportState:
    state = _web(request)
    try:
        client = await asyncio.wait_for(state.client(), state.config.temporal_timeout_seconds)
        handle = client.get_workflow_handle(link.workflow_id)
        return await asyncio.wait_for(handle.query(GroupReportWorkflow.status), state.config.temporal_timeout_seconds)
    except RPCError as err:
        if err.status is RPCStatusCode.NOT_FOUND:
            raise _Refused(404, "This report was not found", "Ask the Monitoring Officer for a new link.") from None
        raise _unavailable(err) from None
    except _DOWN as err:
        raise _unavailable(err) from None


def _unavailable(err: BaseException) -> _Refused:
    log.warning("group report page: Temporal unavailable: %s", type(err).__name__)
    return _Refused(503, "Sorry, the service is unavailable", "Please try again in a few minutes.")


def _page(
    request: Request,
    report: GroupReportState,
    *,
    narrative: Narrative | None = None,
    raw: dict[str, str] | None = None,
    errors: list[tuple[str, str]] = (),  # type: ignore[assignment]
    notice: str = "",
    saved: str = "",
    status: int = 200,
) -> HTMLResponse:
    figures = report.figures
    start = report.start
    values = raw if raw is not None else (narrative or report.narrative).model_dump()
    return _web(request).render(
        "group_report.html",
        status=status,
        headers=NO_STORE,
        service_name=SERVICE,
        title=f"{start.group} group: promoting compliance with the Code of Conduct",
        report=report,
        figures=figures,
        period=period_label(start.period_from, start.period_to),
        due=start.due,
        expires_on=start.expires_on,
        headings=HEADINGS,
        sources=SOURCE_TITLES,
        point_titles={p.value: POINT_TITLES[p] for p in LevelPoint},
        values=values,
        errors=list(errors),
        field_errors=dict(errors),
        notice=notice,
        saved=saved,
        submitted=report.status is ReportStatus.SUBMITTED,
        submitted_on=report.submitted_at.astimezone(LONDON) if report.submitted_at else None,
        last_saved=report.drafts[-1].at.astimezone(LONDON) if report.drafts else None,
        action=request.url.path,
        limit=NARRATIVE_LIMIT,
    )


@router.api_route("/group-report/{token}", methods=["GET", "HEAD"], response_class=HTMLResponse)
async def group_report_page(request: Request, token: str, saved: str | None = None) -> Response:
    try:
        report = await _report(request, _link(request, token))
    except _Refused as refused:
        return _plain(request, refused.status, refused.title, refused.detail)
    if report.figures is None:
        return _plain(request, 503, "Your group's figures are being worked out", "Please try again in a minute.")
    messages = {"draft": "Your draft has been saved.", "submitted": "Your report has been submitted."}
    message = messages.get(saved or "", "")
    return _page(request, report, saved=message)


def _read_narrative(form: Any) -> tuple[dict[str, str], list[tuple[str, str]]]:
    raw: dict[str, str] = {}
    problems: list[tuple[str, str]] = []
    for h in HEADINGS:
        value = form.get(h.key)
        text = value if isinstance(value, str) else ""
        text = text.replace("\r\n", "\n").replace("\x00", "")
        raw[h.key] = text
        if len(text) > NARRATIVE_LIMIT:
            problems.append((h.key, f"{h.title} must be {NARRATIVE_LIMIT:,} characters or fewer"))
    return raw, problems


@router.post("/group-report/{token}", response_class=HTMLResponse)
async def save_group_report(request: Request, token: str) -> Response:
    try:
        link = _link(request, token)
        report = await _report(request, link)
    except _Refused as refused:
        return _plain(request, refused.status, refused.title, refused.detail)
    if report.figures is None:
        return _plain(request, 503, "Your group's figures are being worked out", "Please try again in a minute.")
    try:
        form = await request.form(max_files=0, max_fields=20)
    except Exception:  # a body that is not a form: the user's problem, never a 500
        return _plain(request, 400, "There is a problem with your request", "Go back and try again.")
    if report.status is ReportStatus.SUBMITTED:
        return _page(request, report, notice="This report has already been submitted.", status=409)
    raw, problems = _read_narrative(form)
    if problems:  # too long to keep as it is: nothing saved, everything typed comes back
        return _page(request, report, raw=raw, errors=problems, status=422)
    narrative = Narrative.model_validate(raw)
    submit = form.get("action") == "submit"
    missing = [(k, f"Write something under “{_title(k)}” before you submit") for k in narrative.empty_headings()]
    if submit and missing:
        submit = False  # kept as a draft: the leader's words are never lost
    state = _web(request)
    try:
        client = await asyncio.wait_for(state.client(), state.config.temporal_timeout_seconds)
        handle = client.get_workflow_handle(link.workflow_id)
        await asyncio.wait_for(
            handle.execute_update(GroupReportWorkflow.save, SaveReport(narrative=narrative, submit=submit)),
            state.config.temporal_timeout_seconds,
        )
    except WorkflowUpdateFailedError as err:
        reason = str(err.cause) if err.cause else "the report could not be saved"
        return _page(request, report, raw=raw, notice=f"Not saved: {reason}.", status=409)
    except _DOWN as err:
        _unavailable(err)
        return _page(
            request,
            report,
            raw=raw,
            notice="Sorry, we could not save your report just now. Nothing is lost: your text is below. "
            "Please try again in a few minutes.",
            status=503,
        )
    if missing and form.get("action") == "submit":
        with contextlib.suppress(_Refused):
            report = await _report(request, link)  # with the draft just saved
        return _page(
            request,
            report,
            raw=raw,
            errors=missing,
            saved="Your text has been saved as a draft, but not submitted.",
            status=422,
        )
    return RedirectResponse(f"{request.url.path}?saved={'submitted' if submit else 'draft'}", status_code=303)


def _title(key: str) -> str:
    return next(h.title for h in HEADINGS if h.key == key)
