"""The public decision notices (R12): `/decisions`, the list, and `/decisions/REF`, one notice.

A notice is here only once the Monitoring Officer approved it (a draft answers 404); a withdrawn
one answers 410 with a line saying when it was withdrawn. The list shows the councillor, the
council, the outcome and the date decided, filtered by council and year; a filter that is not one
of those offered is a 422 page, never an error of ours.
"""

from __future__ import annotations

import re
from datetime import date
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from conduct.calendar import london_date
from conduct.publication import NoticeView
from conduct.register import PublishedNoticeRow, notice_years, published_notices

if TYPE_CHECKING:
    from starter.web.app import WebState

_REFERENCE = re.compile(r"^[A-Z]{2,6}-\d{4}-\d{4,}$")
_YEAR = re.compile(r"^\d{4}$")
_HEADING = re.compile(r"^Decision notice \S+\n")
# A notice can be corrected or withdrawn at any time: browsers and proxies ask again every time
# (a 410 is cacheable by default, and a withdrawn notice must not come back from a cache either).
FRESH = {"cache-control": "no-cache"}
OUTCOME_WORDS = {"breach": "Breach found", "no breach": "No breach found"}


def _decided(n: PublishedNoticeRow) -> date:
    return n.decided_on or london_date(n.published_at)


def decisions_router(state: WebState) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    def problem(detail: str) -> HTMLResponse:
        return state.render(
            "error.html", status=422, title="There is a problem with your request", code=422, detail=detail
        )

    @router.api_route("/decisions", methods=["GET", "HEAD"], response_class=HTMLResponse)
    def decisions(request: Request) -> HTMLResponse:
        unknown = sorted(set(request.query_params) - {"council", "year"})
        if unknown:
            return problem(f"The list can be filtered by council and year only, not by {', '.join(unknown)}.")
        roster = state.roster()
        names = {c.id: c.name for c in roster.councils} if roster else {}
        council = request.query_params.get("council", "").strip() or None
        year_text = request.query_params.get("year", "").strip()
        if council is not None and council not in names:
            return problem("Choose a council from the list.")
        if year_text and not (_YEAR.match(year_text) and 1990 <= int(year_text) <= 2200):
            return problem("Choose a year from the list, for example 2027.")
        year = int(year_text) if year_text else None
        with Session(state.engine) as session:
            rows = list(published_notices(session, council, year))
            years = notice_years(session)
        notices: list[dict[str, Any]] = [
            {
                "reference": n.reference,
                "councillors": ", ".join(n.councillors or []) or "Not recorded",
                "council": names.get(n.council, n.council),
                "outcome": OUTCOME_WORDS.get(n.outcome or "", "Decided"),
                "decided": _decided(n),
            }
            for n in rows
        ]
        return state.render(
            "decisions.html",
            headers=FRESH,
            title="Published decisions",
            notices=notices,
            councils=sorted(names.items(), key=lambda kv: kv[1]),
            chosen=council,
            years=years,
            year=year,
        )

    @router.api_route("/decisions/{reference}", methods=["GET", "HEAD"], response_class=HTMLResponse)
    def decision(reference: str) -> HTMLResponse:
        notice: PublishedNoticeRow | None = None
        if _REFERENCE.match(reference):
            with Session(state.engine) as session:
                notice = session.get(PublishedNoticeRow, reference)
                if notice is not None:
                    session.expunge(notice)
        if notice is None:
            return state.render("error.html", status=404, title="Page not found", code=404, detail="")
        roster = state.roster()
        council = roster.council(notice.council) if roster else None
        council_name = council.name if council else notice.council
        if notice.status == "withdrawn":
            withdrawn = london_date(notice.withdrawn_at) if notice.withdrawn_at else None
            return state.render(
                "decision_withdrawn.html",
                status=410,
                headers=FRESH,
                title=f"Decision notice {notice.reference} withdrawn",
                reference=notice.reference,
                council_name=council_name,
                withdrawn=withdrawn,
            )
        view = NoticeView.model_validate(notice.content) if notice.content else None
        return state.render(
            "decision.html",
            headers=FRESH,
            title=f"Decision notice {notice.reference}",
            notice=notice,
            view=view,
            council_name=council_name,
            published=london_date(notice.published_at),
            legacy_text=_HEADING.sub("", notice.text, count=1) if view is None else "",
        )

    return router
