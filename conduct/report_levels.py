"""The "level" columns of the Group Leaders' yearly report, by nation, and the furthest point a
complaint reached, which decides its column.

The seed form is Welsh: "Informal / Local Resolution / PSOW" (the Public Services Ombudsman for
Wales). English councils have no ombudsman for Code complaints, so their default columns follow
this procedure's own steps. A council may configure its own columns on the roster
(`Council.report_levels`). A point that no column takes (a complaint still being assessed; in
Wales, one closed with no action) is still counted in the row's total and named under the table.

No SQLAlchemy and no I/O here: the roster and the GroupReport workflow import this module.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field

from conduct.vocabulary import Nation


class LevelPoint(StrEnum):
    """How far a complaint went, in order: each case takes the furthest it reached."""

    OPEN = "open"  # received, no assessment decision yet
    NO_ACTION = "no_action"  # assessed no action, referred to the county association, or withdrawn before more
    INFORMAL_RESOLUTION = "informal_resolution"  # R5
    INVESTIGATION = "investigation"  # R6-R8: referred for investigation (no breach found, or still going)
    HEARING = "hearing"  # R9-R11: a final report found a breach, referred to the Hearings Sub-Committee
    EXTERNAL = "external"  # referred to an ombudsman or external regulator (recorded on the register)


POINT_ORDER = list(LevelPoint)
POINT_TITLES: dict[LevelPoint, str] = {
    LevelPoint.OPEN: "not yet assessed",
    LevelPoint.NO_ACTION: "no action (dismissed, withdrawn, or referred to the county association)",
    LevelPoint.INFORMAL_RESOLUTION: "informal resolution",
    LevelPoint.INVESTIGATION: "investigation",
    LevelPoint.HEARING: "hearing",
    LevelPoint.EXTERNAL: "referred to an ombudsman or external regulator",
}


class ReportLevel(BaseModel):
    """One column of the form: its title and the points whose cases it counts."""

    title: str = Field(min_length=1, max_length=60)
    points: list[LevelPoint] = Field(min_length=1)


ENGLAND_LEVELS: list[ReportLevel] = [
    ReportLevel(title="No action", points=[LevelPoint.NO_ACTION]),
    ReportLevel(title="Informal resolution", points=[LevelPoint.INFORMAL_RESOLUTION]),
    ReportLevel(title="Investigation", points=[LevelPoint.INVESTIGATION]),
    ReportLevel(title="Hearing", points=[LevelPoint.HEARING]),
    ReportLevel(title="Referred externally", points=[LevelPoint.EXTERNAL]),
]
WALES_LEVELS: list[ReportLevel] = [
    ReportLevel(title="Informal", points=[LevelPoint.INFORMAL_RESOLUTION]),
    ReportLevel(title="Local Resolution", points=[LevelPoint.INVESTIGATION, LevelPoint.HEARING]),
    ReportLevel(title="PSOW", points=[LevelPoint.EXTERNAL]),
]


def default_levels(nation: Nation) -> list[ReportLevel]:
    """Wales: the seed's columns; England (and, until configured, Scotland and Northern Ireland):
    one column per step of this procedure."""
    return [level.model_copy() for level in (WALES_LEVELS if nation is Nation.WALES else ENGLAND_LEVELS)]


def column_of(point: LevelPoint, levels: list[ReportLevel]) -> str | None:
    """The title of the column that counts `point`, or None when no column does."""
    return next((level.title for level in levels if point in level.points), None)
