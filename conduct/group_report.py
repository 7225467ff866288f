"""The Group Leader's yearly report "Promoting Compliance With the Code of Conduct" (seed 001):
what the GroupReport workflow carries, its figures, and the leader's narrative under the seed's
headings.

Pure models and small pure functions only (no SQLAlchemy, no I/O): the workflow imports this
module through the sandbox. The figures are computed from the register in
conduct/group_figures.py, in an activity.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

SOURCES = ("public", "officers", "councillors")
SOURCE_TITLES = {"public": "Public", "officers": "Officers", "councillors": "Councillors"}
NARRATIVE_LIMIT = 20_000  # characters per heading


class Heading(BaseModel):
    key: str
    title: str
    prompts: list[str]


# The seed's three groups of "Include matters such as:", each followed by the leader's own words.
HEADINGS: list[Heading] = [
    Heading(
        key="training",
        title="Training and development",
        prompts=[
            "demonstrating personal commitment to and attending relevant development or training around "
            "equalities and standards",
            "encouraging group members to attend relevant development or training around equalities and standards",
            "ensuring nominees to a Committee have received the recommended training for that Committee",
        ],
    ),
    Heading(
        key="conduct",
        title="Civility, informal resolution and a culture of high standards",
        prompts=[
            "promoting civility and respect within group communications and meetings and in formal Council meetings",
            "promoting informal resolution procedures in the Council, and working with the Standards Committee "
            "and monitoring officers to achieve local resolution",
            "promoting a culture within the group which supports high standards of conduct and integrity",
            "attend a meeting of the Council's Standards Committee if requested to discuss Code of Conduct issues",
        ],
    ),
    Heading(
        key="standards",
        title="Working with the Standards Committee and other Group Leaders",
        prompts=[
            "work to implement any recommendations from the Standards Committee about improving standards",
            "work together with other group leaders, within reason, to collectively support high standards of "
            "conduct within the Council",
        ],
    ),
]


class Narrative(BaseModel):
    """The leader's own account, one text per heading (plain text; blank lines make paragraphs)."""

    model_config = ConfigDict(extra="ignore")

    training: str = Field(default="", max_length=NARRATIVE_LIMIT)
    conduct: str = Field(default="", max_length=NARRATIVE_LIMIT)
    standards: str = Field(default="", max_length=NARRATIVE_LIMIT)

    def empty_headings(self) -> list[str]:
        return [h.key for h in HEADINGS if not getattr(self, h.key).strip()]


class SourceFigures(BaseModel):
    """One row of "Number, Source and Level of Complaints"."""

    source: str
    columns: dict[str, int] = Field(description="column title -> complaints")
    points: dict[str, int] = Field(description="furthest point reached -> complaints (every point)")
    total: int = 0


class GroupFigures(BaseModel):
    """A group's figures at the period's end: what the leader sees and the committee's paper prints.
    Counts only: never a case reference or a complainant."""

    council: str
    council_name: str
    nation: str
    group: str
    leader_id: str | None = None
    leader_name: str = ""
    period_from: date
    period_to: date
    members: int
    trained: int
    trained_percent: int
    levels: list[str] = Field(description="the column titles, in order")
    rows: list[SourceFigures]
    complaints: int = 0
    not_in_a_column: dict[str, int] = Field(default={}, description="point -> complaints that no column counts")


class FiguresRequest(BaseModel):
    council: str
    group: str
    period_from: date
    period_to: date


class GroupReportStart(BaseModel):
    """Input of one GroupReport workflow. The instants are worked out by the starter (London days),
    so the workflow only compares them with workflow.now()."""

    council: str
    group: str
    period_from: date
    period_to: date
    due: date
    expires_on: date = Field(description="the link works until the end of this day: due + grace")
    due_at: datetime = Field(description="the start of the London day after `due`")
    expires_at: datetime = Field(description="the start of the London day after `expires_on`")
    reminders_at: list[datetime] = Field(default=[], description="when to remind the leader, if not yet returned")


class ReportStatus(StrEnum):
    INVITED = "invited"  # link sent, nothing saved yet
    DRAFTING = "drafting"  # a draft saved
    SUBMITTED = "submitted"
    NOT_RETURNED = "not_returned"  # the link expired with nothing submitted


class SavedDraft(BaseModel):
    at: datetime
    narrative: Narrative


class SaveReport(BaseModel):
    """The web page's update: save a draft, or submit (a submission also saves the text)."""

    narrative: Narrative
    submit: bool = False


class SaveResult(BaseModel):
    status: ReportStatus
    saved_at: datetime
    drafts: int


class GroupReportState(BaseModel):
    """What the workflow knows; the `status` query returns it, and it is mirrored to the register."""

    model_config = ConfigDict(extra="ignore")

    workflow_id: str
    start: GroupReportStart
    figures: GroupFigures | None = None
    status: ReportStatus = ReportStatus.INVITED
    narrative: Narrative = Narrative()
    drafts: list[SavedDraft] = []
    invited_at: datetime | None = None
    submitted_at: datetime | None = None
    reminders_sent: list[datetime] = []
    mo_told_at: datetime | None = None
    closed_at: datetime | None = None
    revision: int = Field(default=0, description="grows with every change, so the register keeps the newest")


class Notice(StrEnum):
    INVITE = "invite"
    REMINDER = "reminder"


class LeaderMail(BaseModel):
    """Activity input: the link (or a reminder of it) to the Group Leader."""

    workflow_id: str
    start: GroupReportStart
    figures: GroupFigures
    notice: Notice
    number: int = 0  # which reminder


class OverdueMail(BaseModel):
    """Activity input: tell the Monitoring Officer(s) that a group has returned nothing by the due date."""

    workflow_id: str
    start: GroupReportStart
    figures: GroupFigures
    drafting: bool


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "group"


def workflow_id(council: str, period_to: date, group: str) -> str:
    """One workflow per council, period and group (no personal data: ids are not encrypted)."""
    return f"group-report-{council}-{period_to:%Y%m%d}-{slug(group)}"


def default_period(today: date) -> tuple[date, date]:
    """June to June: the last complete year from 1 June to 31 May before `today`."""
    end_year = today.year if today >= date(today.year, 6, 1) else today.year - 1
    return date(end_year - 1, 6, 1), date(end_year, 5, 31)


def period_label(period_from: date, period_to: date) -> str:
    return f"{period_from.day} {period_from:%B %Y} – {period_to.day} {period_to:%B %Y}"


def percent(part: int, whole: int) -> int:
    """Rounded half up, as a person would: 2 of 3 is 67%."""
    return (200 * part + whole) // (2 * whole) if whole else 0
