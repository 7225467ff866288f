"""The Standards Committee's paper: every group's report for a council and period, in the seed's
layout (one section per group), with council-wide totals and the groups that did not return
their form named. Read from the register's mirror of the GroupReport workflows; rendered as JSON,
HTML, or PDF (WeasyPrint, imported only when a PDF is asked for: it takes most of a second).
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape
from pydantic import BaseModel

from conduct.group_report import (
    HEADINGS,
    SOURCE_TITLES,
    SOURCES,
    GroupFigures,
    Narrative,
    ReportStatus,
    SourceFigures,
    percent,
    period_label,
)
from conduct.group_report_register import GroupReportRecord
from conduct.report_levels import POINT_TITLES, LevelPoint


class PaperSection(BaseModel):
    group: str
    leader_name: str
    status: ReportStatus
    returned: bool
    late: bool = False
    submitted_at: datetime | None = None
    figures: GroupFigures
    narrative: Narrative | None = None  # only what was submitted: a draft is not a return


class PaperTotals(BaseModel):
    members: int
    trained: int
    trained_percent: int
    rows: list[SourceFigures]
    complaints: int
    not_in_a_column: dict[str, int]


class Paper(BaseModel):
    council: str
    council_name: str
    period_from: date
    period_to: date
    period: str
    levels: list[str]
    sections: list[PaperSection]
    totals: PaperTotals
    not_returned: list[str]
    compiled_on: date


class NothingToCompile(LookupError):
    pass


def build_paper(records: list[GroupReportRecord], compiled_on: date) -> Paper:
    """The paper of one council and period from its mirrored reports (figures computed already)."""
    ready = [r for r in records if r.figures is not None]
    if not ready:
        raise NothingToCompile("no group reports with figures for that council and period")
    first = ready[0].figures
    assert first is not None
    sections = [
        PaperSection(
            group=r.group,
            leader_name=r.figures.leader_name,
            status=r.status,
            returned=r.status is ReportStatus.SUBMITTED,
            late=r.late(),
            submitted_at=r.submitted_at,
            figures=r.figures,
            narrative=r.narrative if r.status is ReportStatus.SUBMITTED else None,
        )
        for r in ready
        if r.figures is not None
    ]
    levels = first.levels
    rows = []
    for source in SOURCES:
        mine = [row for s in sections for row in s.figures.rows if row.source == source]
        columns = {title: sum(row.columns.get(title, 0) for row in mine) for title in levels}
        points: Counter[str] = Counter()
        for row in mine:
            points.update(row.points)
        rows.append(
            SourceFigures(source=source, columns=columns, points=dict(points), total=sum(r.total for r in mine))
        )
    uncounted: Counter[str] = Counter()
    for s in sections:
        uncounted.update(s.figures.not_in_a_column)
    members = sum(s.figures.members for s in sections)
    trained = sum(s.figures.trained for s in sections)
    return Paper(
        council=first.council,
        council_name=first.council_name,
        period_from=first.period_from,
        period_to=first.period_to,
        period=period_label(first.period_from, first.period_to),
        levels=levels,
        sections=sections,
        totals=PaperTotals(
            members=members,
            trained=trained,
            trained_percent=percent(trained, members),
            rows=rows,
            complaints=sum(r.total for r in rows),
            not_in_a_column=dict(uncounted),
        ),
        not_returned=[s.group for s in sections if not s.returned],
        compiled_on=compiled_on,
    )


def _paragraphs(text: str) -> Markup:
    blocks = [b.strip() for b in (text or "").replace("\r\n", "\n").split("\n\n") if b.strip()]
    return Markup("\n".join("<p>" + "<br>".join(str(escape(line)) for line in b.splitlines()) + "</p>" for b in blocks))


def _environment(templates_dir: Path) -> Environment:
    env = Environment(
        loader=FileSystemLoader(templates_dir / "group_reports"),
        autoescape=select_autoescape(["html", "html.j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["paragraphs"] = _paragraphs
    env.filters["day"] = lambda d: f"{d.day} {d:%B %Y}"
    return env


def render_html(paper: Paper, templates_dir: Path) -> str:
    return (
        _environment(templates_dir)
        .get_template("paper.html.j2")
        .render(
            paper=paper,
            headings=HEADINGS,
            sources=SOURCE_TITLES,
            point_titles={p.value: POINT_TITLES[p] for p in LevelPoint},
        )
    )


def render_pdf(paper: Paper, templates_dir: Path) -> bytes:
    from weasyprint import HTML  # about 0.7 s to import: only when a PDF is wanted

    return HTML(string=render_html(paper, templates_dir)).write_pdf()
