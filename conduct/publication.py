"""The public decision notice (R12, best practice 9): what it says, the draft the Monitoring Officer
approves, and the check that it names neither the complainant nor another member of the public.

Pure (no I/O, no clock): the workflow's validator, the CLI's preview and refusal, and the public
page all read the notice through these functions, so what the MO previews is what is checked and
what the public reads.

The check is deliberately wider than an exact match: a name is found as written in full, as first
and last name, with a title ("Ms Shah"), with an initial ("P. Shah") or as the surname alone; an
address by its postcode, its house-and-street line or the street alone; a phone number whatever
its spacing or +44 prefix. A word the notice must hold (a councillor's own name, the council's)
is never taken for the complainant's surname.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from conduct.vocabulary import Finding

REDACTED = "[redacted]"
NO_APPEAL = "There is no right of appeal against this decision."


class _Lenient(BaseModel):
    """Travels in workflow history for as long as the case lives: unknown fields are ignored."""

    model_config = ConfigDict(extra="ignore")


class NoticeStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    WITHDRAWN = "withdrawn"


class NoticeContent(_Lenient):
    """What best practice 9 lists, as drafted at issue-notice from the case's record."""

    reference: str
    council: str
    council_name: str
    sub_committee: str = "Hearings Sub-Committee"
    councillors: list[str] = []
    hearing_date: date
    finding: Finding
    statement: str = Field(description="the statement of facts as drafted: the IO's final report")
    breached: list[str] = Field(default=[], description="titles of the provisions found breached")
    ip_view: str = Field(default="", description="the Independent Person's view, as recorded at the hearing")
    attendance: str = Field(default="", description="R9: whether the subject member attended; empty before recorded")
    reasons: str
    sanctions: list[str] = Field(default=[], description="titles of the sanctions")


class PublicNotice(_Lenient):
    """The case's public notice: drafted at issue-notice, published once the MO or deputy approves
    it, corrected or withdrawn afterwards. `version` grows with each publication or withdrawal;
    the register keeps the highest, so a retried write never undoes a later one."""

    status: NoticeStatus = NoticeStatus.DRAFT
    content: NoticeContent
    statement: str = Field(default="", description="a brief statement of facts for the public; empty: the draft's")
    redactions: list[str] = Field(default=[], description="texts replaced by [redacted] wherever they occur")
    drafted_at: datetime
    published_at: datetime | None = Field(default=None, description="first publication")
    corrected_at: datetime | None = None
    withdrawn_at: datetime | None = None
    withdrawn_reason: str = ""
    version: int = 0


class Section(BaseModel):
    """One part of the notice as the public reads it: a heading, paragraphs and a list."""

    key: str
    heading: str
    paragraphs: list[str] = []
    items: list[str] = []


class NoticeView(BaseModel):
    """The notice as published: everything the page shows, redactions applied."""

    reference: str
    council: str
    council_name: str
    sub_committee: str
    councillors: list[str]
    hearing_date: date
    outcome: str = Field(description="'breach' or 'no breach'")
    sections: list[Section]
    corrected_on: date | None = None


# ----------------------------------------------------------------------------- text


def long_date(d: date) -> str:
    """3 March 2027."""
    return f"{d.day} {d:%B %Y}"


def _paragraphs(text: str) -> list[str]:
    return [" ".join(p.split()) for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]


def redact(text: str, redactions: Iterable[str]) -> str:
    """Each occurrence of each redaction (any case, any spacing) becomes [redacted]; longer texts first,
    so that "Priya Shah" goes whole before "Shah" is looked for."""
    for r in sorted({r.strip() for r in redactions if r.strip()}, key=len, reverse=True):
        text = _loose(r).sub(REDACTED, text)
    return text


def _loose(phrase: str, flags: int = re.IGNORECASE) -> re.Pattern[str]:
    """`phrase` as a whole word or words, whatever the spacing between them."""
    words = [re.escape(w) for w in phrase.split()]
    return re.compile(r"(?<!\w)" + r"\s+".join(words) + r"(?!\w)", flags)


def revised(notice: PublicNotice, statement: str = "", redactions: Sequence[str] = ()) -> PublicNotice:
    """The notice with a new statement of facts (if given) and further redactions."""
    added = [r for r in redactions if r not in notice.redactions]
    return notice.model_copy(
        update={"statement": statement.strip() or notice.statement, "redactions": [*notice.redactions, *added]}
    )


def view(notice: PublicNotice, corrected_on: date | None = None) -> NoticeView:
    """The notice as the public reads it. `corrected_on` defaults to the recorded correction."""
    c = notice.content
    cut = notice.redactions

    def clean(texts: Iterable[str]) -> list[str]:
        return [redact(t, cut) for t in texts]

    finding = "a breach" if c.finding is Finding.BREACH else "no breach"
    found = f"The {c.sub_committee} found {finding} of the Code of Conduct."
    decision = [found, *([c.attendance] if c.attendance else []), *_paragraphs(c.reasons)]
    sections = [
        Section(
            key="statement",
            heading="Statement of facts",
            paragraphs=clean(_paragraphs(notice.statement or c.statement)),
        ),
        Section(
            key="breached",
            heading="Provisions of the Code of Conduct found breached",
            items=c.breached,
            paragraphs=[] if c.breached else ["None."],
        ),
        Section(
            key="ip_view",
            heading="The Independent Person's view",
            paragraphs=clean(_paragraphs(c.ip_view)) or ["Not recorded."],
        ),
        Section(key="reasons", heading="Decision and reasons", paragraphs=clean(decision)),
        Section(
            key="sanctions", heading="Sanctions", items=clean(c.sanctions), paragraphs=[] if c.sanctions else ["None."]
        ),
        Section(key="appeal", heading="Appeal", paragraphs=[NO_APPEAL]),
    ]
    corrected = corrected_on or (notice.corrected_at.date() if notice.corrected_at else None)
    return NoticeView(
        reference=c.reference,
        council=c.council,
        council_name=c.council_name,
        sub_committee=c.sub_committee,
        councillors=clean(c.councillors),
        hearing_date=c.hearing_date,
        outcome="breach" if c.finding is Finding.BREACH else "no breach",
        sections=sections,
        corrected_on=corrected,
    )


def header(v: NoticeView) -> list[str]:
    """The lines under the title: council, councillor, hearing date, correction."""
    who = "Councillor" if len(v.councillors) == 1 else "Councillors"
    lines = [
        f"{v.council_name}, {v.sub_committee}",
        f"{who}: {', '.join(v.councillors)}",
        f"Hearing: {long_date(v.hearing_date)}",
    ]
    if v.corrected_on:
        lines.append(f"Corrected on {long_date(v.corrected_on)}")
    return lines


def as_text(v: NoticeView) -> str:
    """The notice in plain text: the preview, the letters' attachment and the register's text column."""
    out = [f"Decision notice {v.reference}", *header(v)]
    for s in v.sections:
        out += ["", s.heading, *s.paragraphs, *(f"- {i}" for i in s.items)]
    return "\n".join(out) + "\n"


# ----------------------------------------------------------------------------- the check


class Protected(BaseModel):
    """Something the public notice must never hold, and what it is ("the complainant's name")."""

    what: str
    value: str


class Match(BaseModel):
    """Where a protected text was found in the notice."""

    what: str
    where: str
    found: str

    def line(self, show: bool = True) -> str:
        """One line of a refusal; `show` False leaves the found text out (for the audit log and the
        workflow's refusal, which must not carry the complainant's details)."""
        return f"{self.what} in {self.where}" + (f': "{self.found}"' if show else "")


def protected_items(
    name: str = "", email: str | None = None, phone: str = "", address: str = "", others: Iterable[str] = ()
) -> list[Protected]:
    """The complainant's details (confidential or not) and the names of other members of the public
    who are parties."""
    items = [
        Protected(what="the complainant's name", value=name),
        Protected(what="the complainant's e-mail address", value=email or ""),
        Protected(what="the complainant's phone number", value=phone),
        Protected(what="the complainant's address", value=address),
    ]
    items += [Protected(what="the name of a member of the public who is a party", value=o) for o in others]
    return [p for p in items if p.value.strip()]


_TITLES = r"(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Sir|Dame|Lady|Lord|Rev|Revd)\.?"
_POSTCODE = re.compile(r"\b([A-Z]{1,2}\d[A-Z\d]?)\s*(\d[A-Z]{2})\b", re.IGNORECASE)
_PHONE_RUN = re.compile(r"\+?\(?\d[\d ().-]{5,}\d")


def _name_patterns(name: str, keep: set[str]) -> list[re.Pattern[str]]:
    words = [w for w in re.split(r"\s+", name.strip()) if w]
    if not words:
        return []
    patterns = [_loose(" ".join(words))]
    if len(words) == 1:
        return patterns
    first, last = words[0], words[-1]
    patterns.append(_loose(f"{first} {last}"))
    surname = re.escape(last)
    patterns.append(re.compile(rf"(?<!\w){_TITLES}\s+(?:{re.escape(first)}\s+)?{surname}(?!\w)", re.IGNORECASE))
    patterns.append(re.compile(rf"(?<!\w){re.escape(first[0])}\.?\s+{surname}(?!\w)", re.IGNORECASE))
    if len(last) >= 3 and last.lower() not in keep:  # the surname alone, written as a name
        patterns.append(re.compile(rf"(?<!\w)(?:{surname}|{re.escape(last.upper())})(?!\w)"))
    return patterns


def _address_patterns(address: str) -> list[re.Pattern[str]]:
    patterns = []
    for m in _POSTCODE.finditer(address):
        patterns.append(re.compile(rf"(?<!\w){m.group(1)}\s*{m.group(2)}(?!\w)", re.IGNORECASE))
    parts = [p.strip() for p in re.split(r"[,\n]", address) if p.strip()]
    for i, part in enumerate(parts):
        if _POSTCODE.fullmatch(part):
            continue
        if i == 0 or re.search(r"\d", part):  # the house and street; a town alone names nobody
            patterns.append(_loose(part))
            street = re.sub(r"^(?:flat\s+\w+\s+)?\d+[a-z]?\s+", "", part, flags=re.IGNORECASE)
            if street != part and len(street.split()) >= 2:
                patterns.append(_loose(street))
    if not patterns:
        patterns.append(_loose(address))
    return patterns


def _phone_digits(text: str) -> str:
    digits = re.sub(r"\D", "", text)
    if digits.startswith("0044"):
        digits = digits[4:]
    elif digits.startswith("44") and len(digits) >= 11:
        digits = digits[2:]
    return digits.lstrip("0")


def _spans(p: Protected, text: str, keep: set[str]) -> list[str]:
    if "phone" in p.what:
        wanted = _phone_digits(p.value)
        if len(wanted) < 6:
            return []
        return [m.group(0).strip() for m in _PHONE_RUN.finditer(text) if _phone_digits(m.group(0)) == wanted]
    if "e-mail" in p.what:
        return [m.group(0) for m in re.finditer(re.escape(p.value.strip()), text, re.IGNORECASE)]
    patterns = _address_patterns(p.value) if "address" in p.what else _name_patterns(p.value, keep)
    spans = sorted(
        {m.span() for pattern in patterns for m in pattern.finditer(text)}, key=lambda s: (s[0] - s[1], s[0])
    )
    found: list[tuple[int, int]] = []
    for start, end in spans:  # the longest first: "Ms. Priya Shah", not "Priya Shah" inside it
        if all(end <= s or start >= e for s, e in found):
            found.append((start, end))
    return [text[s:e] for s, e in sorted(found)]


def _places(v: NoticeView) -> Iterable[tuple[str, str]]:
    """Each text of the notice with where it is, as an officer would look for it."""
    for i, line in enumerate(header(v)[:2], start=1):
        yield f"the heading, line {i}", line
    for s in v.sections:
        for i, para in enumerate(s.paragraphs, start=1):
            yield (f"{_section_name(s)}, paragraph {i}" if len(s.paragraphs) > 1 else _section_name(s)), para
        for i, item in enumerate(s.items, start=1):
            yield f"{_section_name(s)}, item {i}", item


def _section_name(s: Section) -> str:
    return f'"{s.heading}"'


def keep_words(v: NoticeView) -> set[str]:
    """Words the notice must hold: the councillors' and the council's names (never taken for the
    complainant's surname)."""
    words = " ".join([*v.councillors, v.council_name, v.sub_committee]).lower()
    return set(re.findall(r"\w+", words))


def matches(v: NoticeView, protected: Sequence[Protected]) -> list[Match]:
    """Every place the notice holds a protected text, in reading order."""
    keep = keep_words(v)
    out = []
    for where, text in _places(v):
        for p in protected:
            out += [Match(what=p.what, where=where, found=found) for found in _spans(p, text, keep)]
    return out


def refusal(found: Sequence[Match], show: bool = False) -> str:
    """The sentence a refused publication gives: each match and where it is."""
    listed = "; ".join(m.line(show) for m in found)
    return (
        f"the notice would make public {listed}. Replace the statement of facts (--statement-file) or "
        "--redact each text, and preview it (--preview)"
    )
