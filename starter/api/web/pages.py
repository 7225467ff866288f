"""What the officers' web view shows, made from what the officer commands print as JSON.

Pure functions, no I/O: the filters of the cases list (validated, as the CLI's flags), its sorting,
the clocks as a timeline, the history as readable lines and "what is allowed now" as the command
to type. The role rules are not here: the commands have already applied them (conduct/access.py).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from conduct.calendar import LONDON
from conduct.vocabulary import Stage

COUNCIL_ID = r"^[a-z0-9][a-z0-9-]{0,63}$"
MEMBER_ID = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
REFERENCE = re.compile(r"^[A-Za-z]{2,6}-\d{4}-\d{4,6}$")
ROLE_WORD = re.compile(r"^[a-z][a-z_-]{1,39}$")  # a recipient role, e.g. subject_member
SORTS = ("deadline", "reference", "council", "stage", "member", "status")
SORT_TITLES = {
    "reference": "Reference",
    "council": "Council",
    "stage": "Stage",
    "member": "Subject member",
    "deadline": "Next deadline",
    "status": "Status",
}
FIELD_TITLES = {"stage": "Stage", "council": "Council", "member": "Subject member", "overdue": "Overdue only",
                "which": "Cases", "sort": "Sort by", "order": "Order"}  # fmt: skip


def words(value: str | None) -> str:
    """`hearing_pending` as people read it."""
    return (value or "").replace("_", " ")


class CaseFilters(BaseModel):
    """The query of /officers/cases: each field is one of `conduct cases`'s flags, or the order."""

    model_config = ConfigDict(extra="forbid")

    stage: Stage | None = None
    council: str | None = Field(default=None, pattern=COUNCIL_ID)
    member: str | None = Field(default=None, pattern=MEMBER_ID)
    overdue: bool = False
    which: Literal["open", "closed", "all"] = "open"
    sort: Literal["deadline", "reference", "council", "stage", "member", "status"] = "deadline"
    order: Literal["asc", "desc"] = "asc"

    @field_validator("stage", mode="before")
    @classmethod
    def _both_spellings(cls, value: Any) -> Any:
        return value.strip().lower().replace("-", "_") if isinstance(value, str) else value

    @field_validator("overdue", mode="before")
    @classmethod
    def _checkbox(cls, value: Any) -> Any:
        if value in ("on", "true", "1", "yes"):
            return True
        if value in ("false", "0", "no"):
            return False
        return value

    def argv(self) -> list[str]:
        """`conduct cases --json` with these filters."""
        words_ = ["cases", "--json"]
        if self.stage:
            words_ += ["--stage", self.stage.value]
        if self.council:
            words_ += ["--council", self.council]
        if self.member:
            words_ += ["--member", self.member]
        if self.overdue:
            words_.append("--overdue")
        if self.which != "open":
            words_.append(f"--{self.which}")
        return words_

    def query(self, **changes: Any) -> str:
        """This query string with `changes` (the sort links keep the filters)."""
        from urllib.parse import urlencode

        values = {**self.model_dump(mode="json"), **changes}
        kept = {k: ("true" if v is True else v) for k, v in values.items() if v not in (None, False, "")}
        defaults = CaseFilters().model_dump(mode="json")
        kept = {k: v for k, v in kept.items() if defaults.get(k) != v}
        return urlencode(kept)


class Problem(BaseModel):
    field: str
    message: str


def read_filters(params: list[tuple[str, str]]) -> tuple[CaseFilters | None, list[Problem]]:
    """The filters of a query string, or the problems with it (each a plain sentence): a field given
    twice, an unknown field and a value the CLI would refuse are all bad requests."""
    seen: dict[str, str] = {}
    problems: list[Problem] = []
    for name, value in params:
        if name in seen:
            problems.append(Problem(field=name, message=f"{FIELD_TITLES.get(name, name)} is given more than once"))
        seen[name] = value.strip()
    given = {k: v for k, v in seen.items() if v != ""}
    try:
        filters = CaseFilters.model_validate(given)
    except ValidationError as error:
        for e in error.errors():
            name = str(e["loc"][0]) if e["loc"] else "query"
            problems.append(Problem(field=name, message=_plain(name, e["type"], given.get(name, ""))))
        return None, problems
    return (None, problems) if problems else (filters, [])


def _plain(name: str, kind: str, value: str) -> str:
    title = FIELD_TITLES.get(name, name)
    if kind == "extra_forbidden":
        return f"{name!r} is not a filter of the cases list (filters: {', '.join(FIELD_TITLES)})"
    if name == "stage":
        return f"{title} must be one of: {', '.join(words(s.value) for s in Stage)}"
    if name == "council":
        return f"{title} must be a council id, such as worthing"
    if name == "member":
        return f"{title} must be a member id, such as wbc-01"
    if name == "overdue":
        return f"{title} must be ticked or not"
    if name == "which":
        return f"{title} must be open, closed or all"
    if name == "sort":
        return f"{title} must be one of: {', '.join(SORTS)}"
    if name == "order":
        return f"{title} must be asc or desc"
    return f"{title}: {value!r} is not valid"


def sorted_cases(lines: list[dict[str, Any]], filters: CaseFilters) -> list[dict[str, Any]]:
    """The cases in the order asked for; cases without the sorted value go last either way."""

    def value(line: dict[str, Any]) -> Any:
        if filters.sort == "deadline":
            return line.get("next_deadline")
        if filters.sort == "member":
            return ", ".join(line.get("subject_members") or []) or None
        return line.get(filters.sort)

    present = [line for line in lines if value(line) not in (None, "")]
    absent = [line for line in lines if value(line) in (None, "")]
    present.sort(key=lambda line: (str(value(line)), line["reference"]), reverse=filters.order == "desc")
    return present + absent


# ----------------------------------------------------------------------------- the case page


def day_of(value: str | None) -> date | None:
    """A date or a timestamp as the commands print them, as the London day."""
    if not value:
        return None
    if len(value) == 10:
        return date.fromisoformat(value)
    moment = datetime.fromisoformat(value)
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(LONDON).date()


def long_day(value: date | str | None) -> str:
    day = day_of(value) if isinstance(value, str) or value is None else value
    return f"{day.day} {day:%B %Y}" if day else ""


def when(value: str | None) -> str:
    """A timestamp as London time, e.g. `3 March 2026, 14:05`."""
    if not value:
        return ""
    moment = datetime.fromisoformat(value)
    moment = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(LONDON)
    return f"{moment.day} {moment:%B %Y, %H:%M}"


STATE_WORDS = {"pending": "due", "met": "met", "met_late": "met late", "lapsed": "lapsed", "stopped": "stopped"}


class ClockBar(BaseModel):
    """One clock on the timeline: positions are whole percentages of the timeline's span."""

    name: str
    rule: str
    state: str
    state_words: str
    started: date
    due: date
    met_on: date | None
    remind_on: date | None
    note: str | None
    left: int
    width: int
    mark: int | None = Field(description="where it was met (or today, for a lapsed clock)")
    over_left: int | None = Field(default=None, description="a lapsed clock's days past due: from here")
    over_width: int | None = None


class Timeline(BaseModel):
    first: date
    last: date
    today: int | None
    bars: list[ClockBar]


def _position(day: date, first: date, span: int) -> int:
    return max(0, min(100, round((day - first).days * 100 / span)))


def timeline(clocks: list[dict[str, Any]], today: date) -> Timeline | None:
    """The clocks on one time axis, from the first start to the last due (or met) day or today."""
    if not clocks:
        return None
    starts = [day_of(c["started"]) or today for c in clocks]
    ends = [date.fromisoformat(c["due"]) for c in clocks] + [date.fromisoformat(c["met_on"]) for c in clocks
                                                             if c.get("met_on")]  # fmt: skip
    first = min(starts)
    last = max([*ends, today if any(c["state"] in ("pending", "lapsed") for c in clocks) else first])
    span = max(1, (last - first).days)
    bars = []
    for clock, started in zip(clocks, starts, strict=True):
        due = date.fromisoformat(clock["due"])
        met_on = date.fromisoformat(clock["met_on"]) if clock.get("met_on") else None
        left = _position(started, first, span)
        width = max(1, _position(due, first, span) - left)
        mark_day = met_on or (today if clock["state"] == "lapsed" else None)
        over_left = over_width = None
        if clock["state"] == "lapsed" and today > due:
            over_left = _position(due, first, span)
            over_width = max(1, _position(today, first, span) - over_left)
        bars.append(
            ClockBar(
                name=clock["name"], rule=clock.get("rule") or "", state=clock["state"],
                state_words=STATE_WORDS.get(clock["state"], words(clock["state"])), started=started, due=due,
                met_on=met_on, remind_on=date.fromisoformat(clock["remind_on"]) if clock.get("remind_on") else None,
                note=clock.get("note"), left=left, width=min(width, 100 - left),
                mark=_position(mark_day, first, span) if mark_day else None, over_left=over_left,
                over_width=min(over_width, 100 - over_left) if over_width and over_left is not None else None,
            )
        )  # fmt: skip
    shown_today = _position(today, first, span) if first <= today <= last else None
    return Timeline(first=first, last=last, today=shown_today, bars=bars)


CLOCK_WORDS = {"started": "started", "restarted": "restarted", "reminded": "reminder sent", "lapsed": "lapsed",
               "met": "met", "met_late": "met late", "stopped": "stopped"}  # fmt: skip


class HistoryLine(BaseModel):
    when: str
    what: str
    who: str
    detail: str
    lapsed: bool = False


def history_lines(events: list[dict[str, Any]]) -> list[HistoryLine]:
    """`conduct history --json`'s events as the table `conduct history` prints, in words."""
    lines = []
    for e in events:
        kind, name = e.get("kind", ""), e.get("name", "")
        if kind == "action":
            what = name.replace("_", "-")
        elif kind == "clock":
            what = f"{words(e.get('clock'))} clock {CLOCK_WORDS.get(name, words(name))}"
        elif kind == "letter":
            what = f"letter: {words(name)}"
        else:
            what = words(kind if kind == name else f"{kind}: {name}")
        if kind == "letter":
            detail = ", ".join(
                f"{words(t.get('role'))} {'(withheld)' if 'withheld' in t else t.get('to', '')}"
                for t in e.get("to", [])
            )
        else:
            parts = [e.get("detail", ""), e.get("substance", ""), e.get("papers", "")]
            if kind == "clock" and e.get("due") and name in ("started", "restarted", "reminded", "lapsed"):
                parts.append(f"due {long_day(e['due'])}")
            if kind == "action" and e.get("stage"):
                parts.append(f"now {words(e['stage'])}")
            detail = " · ".join(p for p in parts if p)
        lines.append(HistoryLine(when=when(e.get("at")), what=what, who=e.get("officer") or "", detail=detail,
                                 lapsed=kind == "clock" and name == "lapsed"))  # fmt: skip
    return lines


class AllowedAction(BaseModel):
    action: str
    roles: list[str]
    yours: bool
    command: str


def allowed_now(allowed: list[dict[str, Any]], reference: str, roles: set[str],
                usage: dict[str, str]) -> list[AllowedAction]:  # fmt: skip
    """Each action allowed now, who may take it, and the command to type (`usage`: the command's
    required arguments and flags, from the CLI itself)."""
    shown = []
    for item in allowed:
        name = item["action"].replace("_", "-")
        command = f"conduct {name} {reference}{usage.get(name, '')}"
        shown.append(AllowedAction(action=name, roles=[words(r) for r in item.get("roles", [])],
                                   yours=bool(roles & set(item.get("roles", []))), command=command))  # fmt: skip
    return shown
