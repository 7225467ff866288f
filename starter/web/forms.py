"""What a complainant sends, from the web form or the JSON API, checked on the server with messages
a member of the public understands. Both channels end in the same checks (`check_answers`) and
the same `ComplaintIntake`; only the first reading of the raw input differs."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, Strict, ValidationError

from conduct.email_address import AddressNotAscii, mail_address
from conduct.intake import Complainant, ComplaintIntake
from conduct.roster import Roster
from conduct.vocabulary import PROVISION_TITLES, ComplainantType, Provision

NAME_MAX, ADDRESS_MAX, PHONE_MAX, EMAIL_MAX = 200, 500, 40, 320
DESCRIPTION_MIN, DESCRIPTION_MAX, REASON_MAX = 20, 20_000, 2_000
EARLIEST_YEAR = 1900
DATE_SLOTS = 3  # the form asks for the date of the conduct and up to two more

TYPE_LABELS: dict[ComplainantType, str] = {
    ComplainantType.PUBLIC: "A member of the public",
    ComplainantType.OFFICER: "A council officer",
    ComplainantType.COUNCILLOR: "A councillor",
    ComplainantType.PARISH_CLERK: "A parish clerk",
}

# Plain-English summaries of paragraphs 1-10 of the Model Code, shown under each title.
PROVISION_HINTS: dict[Provision, str] = {
    Provision.RESPECT: "Treating councillors, staff and the public politely and courteously, without personal attacks.",
    Provision.BULLYING_HARASSMENT_DISCRIMINATION: (
        "Bullying or harassing anyone, or treating someone unfairly because of a protected characteristic."
    ),
    Provision.IMPARTIALITY: "Pressuring council staff to act in a way that undermines their political neutrality.",
    Provision.CONFIDENTIALITY: (
        "Disclosing confidential information, misusing it for personal gain, or stopping people getting "
        "information they are entitled to."
    ),
    Provision.DISREPUTE: "Behaviour that brings the councillor's role or the council into disrepute.",
    Provision.USE_OF_POSITION: "Using their position improperly to help or harm themselves or anyone else.",
    Provision.RESOURCES: "Misusing council resources or facilities, for example for party political purposes.",
    Provision.COMPLYING_WITH_CODE: (
        "Refusing Code of Conduct training, not cooperating with an investigation, intimidating people "
        "involved in one, or ignoring a sanction."
    ),
    Provision.INTERESTS: (
        "Failing to register or declare interests, or taking part in a matter they have an interest in."
    ),
    Provision.GIFTS_HOSPITALITY: "Accepting gifts or hospitality that could influence them, or not registering them.",
}

MESSAGES = {
    "name_missing": "Enter your full name",
    "name_long": f"Your name must be {NAME_MAX} characters or fewer",
    "email_missing": "Enter your email address",
    "email_or_address_missing": "Give the complainant's email address or postal address",
    "email_invalid": "Enter an email address in the correct format, like name@example.com",
    "email_not_ascii": (
        "Enter an email address without accents or other special letters before the @, like name@example.com"
    ),
    "address_missing": "Enter your postal address",
    "address_long": f"Your postal address must be {ADDRESS_MAX} characters or fewer",
    "phone_invalid": "Enter a telephone number, like 01632 960 001 or +44 808 157 0192",
    "type_missing": "Select whether you are a member of the public, a council officer, a councillor or a parish clerk",
    "council_missing": "Select the council the councillor belongs to",
    "council_unknown": "Select a council from the list",
    "members_missing": "Select the councillor or councillors you are complaining about",
    "dates_missing": "Enter the date the conduct happened",
    "date_future": "The date the conduct happened must be today or in the past",
    "date_invalid": "The date the conduct happened must be a real date, like 20 2 2026",
    "provisions_missing": "Select which parts of the Code of Conduct you think were broken",
    "description_missing": "Describe what happened",
    "description_short": f"Describe what happened in at least {DESCRIPTION_MIN} characters",
    "description_long": f"What happened must be {DESCRIPTION_MAX:,} characters or fewer",
    "reason_missing": "Tell us why you want your identity kept confidential",
    "reason_long": f"Your reason for confidentiality must be {REASON_MAX:,} characters or fewer",
    "declaration_missing": "Confirm that the information you have given is true to the best of your knowledge",
}

# line/paragraph separators, and bidirectional overrides and isolates (which can disguise text)
_DROPPED = frozenset("\u2028\u2029\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_PHONE_CHARACTERS = set("0123456789 +()-.")
# Letters that print as nothing: Hangul fillers, the braille blank, the combining grapheme joiner and
# variation selectors (format characters, Cf, and spaces are found by their category).
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800\u034f") | {chr(c) for c in range(0xFE00, 0xFE10)}


@dataclass(frozen=True)
class Problem:
    """`field` is the canonical name (see FORM_IDS / API_PATHS); `message` is shown as it is."""

    field: str
    message: str


# Where each canonical field lives in the form (the id an error links to) and in the JSON body.
FORM_IDS = {
    "name": "name",
    "email": "email",
    "address": "address",
    "phone": "phone",
    "type": "complainant_type",
    "member_id": "complainant_type",
    "council": "council",
    "subject_members": "subject_members",
    "conduct_dates": "conduct_date_1-day",
    "provisions": "provisions",
    "description": "description",
    "confidentiality_reason": "confidentiality_reason",
    "declaration": "declaration",
    "evidence": "evidence",
    "form": "name",
}
API_PATHS = {
    "name": "complainant.name",
    "email": "complainant.email",
    "address": "complainant.address",
    "phone": "complainant.phone",
    "type": "complainant.type",
    "member_id": "complainant.member_id",
}


def clean_text(value: Any, multiline: bool = False) -> str:
    """Text as we keep it: no control characters (newlines and tabs kept in multi-line text), no
    lone surrogates, Windows newlines made plain, outer spaces removed."""
    if not isinstance(value, str):
        return ""
    text = value.replace("\r\n", "\n").replace("\r", "\n")
    kept = []
    for ch in text:
        category = unicodedata.category(ch)
        if ch in "\n\t":
            kept.append(ch if multiline else " ")
        elif category in ("Cc", "Cs", "Co", "Cn") or ch in _DROPPED:
            continue
        else:
            kept.append(ch)
    return "".join(kept).strip()


def visible(text: str) -> bool:
    """Whether `text` shows anything: a name of zero-width spaces, joiners or spaces is no name."""
    return any(
        not ch.isspace()
        and unicodedata.category(ch) not in ("Cf", "Cc", "Zs", "Zl", "Zp")
        and ch not in _BLANK_LETTERS
        and not 0xE0100 <= ord(ch) <= 0xE01EF  # variation selectors supplement
        for ch in text
    )


@dataclass
class Answers:
    """The complaint as typed as the first reading could make it; strings already cleaned."""

    name: str = ""
    email: str = ""
    address: str = ""
    phone: str = ""
    type: ComplainantType | None = None
    member_id: str | None = None
    council: str = ""
    subject_members: list[str] = field(default_factory=list)
    conduct_dates: list[date] = field(default_factory=list)
    provisions: list[Provision] = field(default_factory=list)
    description: str = ""
    confidential: bool = False
    confidentiality_reason: str = ""


def _unique(items: list[Any]) -> list[Any]:
    return list(dict.fromkeys(items))


def check_answers(
    a: Answers,
    roster: Roster,
    today: date,
    *,
    require_identity: bool,
    already: set[str] = frozenset(),  # type: ignore[assignment]
    postal: bool = False,
) -> list[Problem]:
    """Every rule both channels share. Fields in `already` had a problem when first read and are
    not checked again. `require_identity`: the form asks for name and address; the API accepts an
    anonymous complaint (an empty name), which the workflow flags but does not refuse (R4).
    `postal` (`conduct receive`, a complaint on paper): a postal address may stand in for the
    e-mail address, and the letters then go by post (conduct/postal.py)."""
    problems: list[Problem] = []

    def add(name: str, key_or_text: str) -> None:
        if name not in already and all(p.field != name for p in problems):
            problems.append(Problem(name, MESSAGES.get(key_or_text, key_or_text)))

    # Text that shows nothing is no text: a name of zero-width spaces is anonymous only where an
    # empty name is (the API), and on the form it is a missing name.
    if not visible(a.name):
        a.name = ""
    if not visible(a.address):
        a.address = ""
    if not visible(a.description):
        a.description = ""

    if require_identity and not a.name:
        add("name", "name_missing")
    elif len(a.name) > NAME_MAX:
        add("name", "name_long")
    if not a.email and postal and a.address:
        pass  # letters by post
    elif not a.email:
        add("email", "email_or_address_missing" if postal else "email_missing")
    elif len(a.email) > EMAIL_MAX:
        add("email", "email_invalid")
    else:
        try:
            a.email = mail_address(a.email)
        except AddressNotAscii:
            add("email", "email_not_ascii")
        except ValueError:
            add("email", "email_invalid")
    if require_identity and not a.address:
        add("address", "address_missing")
    elif len(a.address) > ADDRESS_MAX:
        add("address", "address_long")
    if a.phone and (
        len(a.phone) > PHONE_MAX or not set(a.phone) <= _PHONE_CHARACTERS or sum(c.isdigit() for c in a.phone) < 6
    ):
        add("phone", "phone_invalid")
    if a.type is None:
        add("type", "type_missing")
    if a.member_id is not None:
        if a.type is not ComplainantType.COUNCILLOR:
            add("member_id", "member_id is only for a complainant who is a councillor")
        elif roster.member(a.member_id) is None:
            add("member_id", f"'{a.member_id}' is not a councillor on our list")
        elif a.member_id in a.subject_members:
            member = roster.member(a.member_id)
            add(
                "subject_members",
                f"A councillor cannot complain about themselves: remove {member.name if member else a.member_id} "
                "from the councillors complained about",
            )

    council = roster.council(a.council) if a.council else None
    if not a.council:
        add("council", "council_missing")
    elif council is None:
        add("council", "council_unknown")
    a.subject_members = _unique(a.subject_members)
    if not a.subject_members:
        add("subject_members", "members_missing")
    elif council is not None:
        for member_id in a.subject_members:
            member = roster.member(member_id)
            if member is None:
                add("subject_members", f"'{member_id}' is not a councillor on our list")
            elif not member.sits_on(council.id):  # a dual-hatted member: the council they acted for
                add(
                    "subject_members",
                    f"{member.name} is not a member of {council.name}: select only councillors of {council.name}",
                )

    a.conduct_dates = sorted(set(a.conduct_dates))
    if not a.conduct_dates:
        add("conduct_dates", "dates_missing")
    elif any(d > today for d in a.conduct_dates):
        add("conduct_dates", "date_future")
    elif any(d.year < EARLIEST_YEAR for d in a.conduct_dates):
        add("conduct_dates", "date_invalid")

    a.provisions = _unique(a.provisions)
    if not a.provisions:
        add("provisions", "provisions_missing")

    if not a.description:
        add("description", "description_missing")
    elif len(a.description) < DESCRIPTION_MIN:
        add("description", "description_short")
    elif len(a.description) > DESCRIPTION_MAX:
        add("description", "description_long")

    if a.confidential and not a.confidentiality_reason:
        add("confidentiality_reason", "reason_missing")
    elif len(a.confidentiality_reason) > REASON_MAX:
        add("confidentiality_reason", "reason_long")
    return problems


def to_intake(a: Answers, evidence: list[str]) -> ComplaintIntake:
    """Only after `check_answers` found nothing: ComplaintIntake travels in workflow history and checks
    little itself, so `check_answers` is where a complaint's rules are kept."""
    return ComplaintIntake(
        complainant=Complainant(
            name=a.name,
            email=a.email,
            address=a.address,
            phone=a.phone,
            type=a.type or ComplainantType.PUBLIC,
            member_id=a.member_id,
        ),
        council=a.council,
        subject_members=a.subject_members,
        conduct_dates=a.conduct_dates,
        provisions=a.provisions,
        description=a.description,
        confidential=a.confidential,
        confidentiality_reason=a.confidentiality_reason if a.confidential else "",
        evidence=evidence,
    )


# ----------------------------------------------------------------------------- the web form


def _date_from_parts(day: str, month: str, year: str) -> date | None:
    parts = [p.strip() for p in (day, month, year)]
    if not all(p.isdigit() and len(p) <= 4 for p in parts) or len(parts[2]) != 4:
        return None
    try:
        return date(int(parts[2]), int(parts[1]), int(parts[0]))
    except ValueError:
        return None


def read_form(form: Any) -> tuple[Answers, dict[str, Any], list[Problem]]:
    """The posted form (a Starlette FormData or a dict of lists) as Answers, the raw values to
    show back, and the problems only the form has (dates, declaration)."""

    def one(name: str) -> str:
        value = form.get(name) if hasattr(form, "get") else None
        return value if isinstance(value, str) else ""

    def many(name: str) -> list[str]:
        values = form.getlist(name) if hasattr(form, "getlist") else []
        return [clean_text(v) for v in values if isinstance(v, str) and clean_text(v)][:200]

    problems: list[Problem] = []
    raw: dict[str, Any] = {
        name: one(name)
        for name in (
            "name",
            "email",
            "address",
            "phone",
            "complainant_type",
            "council",
            "description",
            "confidentiality_reason",
        )
    }
    raw["subject_members"] = many("subject_members")
    raw["provisions"] = many("provisions")
    raw["confidential"] = one("confidential") == "yes"
    raw["declaration"] = one("declaration") == "yes"

    dates: list[date] = []
    bad_date = False
    for slot in range(1, DATE_SLOTS + 1):
        parts = [one(f"conduct_date_{slot}-{part}")[:10] for part in ("day", "month", "year")]
        for part, value in zip(("day", "month", "year"), parts, strict=True):
            raw[f"conduct_date_{slot}-{part}"] = value
        if not any(p.strip() for p in parts):
            continue
        parsed = _date_from_parts(*parts)
        if parsed is None:
            bad_date = True
        else:
            dates.append(parsed)
    if bad_date:
        problems.append(Problem("conduct_dates", MESSAGES["date_invalid"]))
    if not raw["declaration"]:
        problems.append(Problem("declaration", MESSAGES["declaration_missing"]))

    try:
        kind: ComplainantType | None = ComplainantType(raw["complainant_type"])
    except ValueError:
        kind = None
    provisions = [Provision(p) for p in raw["provisions"] if p in Provision.__members__.values()]
    answers = Answers(
        name=clean_text(raw["name"]),
        email=clean_text(raw["email"]),
        address=clean_text(raw["address"], multiline=True),
        phone=clean_text(raw["phone"]),
        type=kind,
        council=clean_text(raw["council"]),
        subject_members=raw["subject_members"],
        conduct_dates=dates,
        provisions=provisions,
        description=clean_text(raw["description"], multiline=True),
        confidential=raw["confidential"],
        confidentiality_reason=clean_text(raw["confidentiality_reason"], multiline=True),
    )
    return answers, raw, problems


# ----------------------------------------------------------------------------- the JSON API

_EXAMPLE = {
    "complainant": {
        "name": "Harriet Lomax",
        "email": "harriet.lomax@example.org",
        "type": "public",
        "address": "14 Marine Parade, Worthing BN11 3PT",
        "phone": "01903 000000",
    },
    "council": "worthing",
    "subject_members": ["wbc-04"],
    "conduct_dates": ["2026-02-20"],
    "provisions": ["respect", "disrepute"],
    "description": (
        "At the Planning Committee on 20 February 2026 the councillor shouted at me from the dais while I was "
        "speaking as an objector, and called me a liar in front of the public gallery."
    ),
    "confidential": False,
    "confidentiality_reason": "",
}


class ApiComplainant(BaseModel):
    model_config = ConfigDict(extra="forbid", title="Complainant")

    name: str = Field(
        max_length=NAME_MAX,
        description="full name; an empty string is an anonymous complaint (flagged to the Monitoring Officer)",
    )
    email: str = Field(
        max_length=EMAIL_MAX,
        description="email address for letters about the complaint; ASCII before the @ (a domain may be IDN)",
        json_schema_extra={"format": "email"},
    )
    type: ComplainantType = Field(description="who is complaining")
    address: str = Field(default="", max_length=ADDRESS_MAX, description="postal address")
    phone: str = Field(default="", max_length=PHONE_MAX, description="telephone number")
    member_id: str | None = Field(
        default=None, max_length=64, description="roster id of the complainant, when they are a councillor"
    )


class ApiComplaint(BaseModel):
    """One complaint, the same fields as the web form."""

    model_config = ConfigDict(extra="forbid", title="Complaint", json_schema_extra={"examples": [_EXAMPLE]})

    complainant: ApiComplainant
    council: str = Field(
        max_length=64,
        description="council id from the roster, e.g. worthing: the council the member acted for (a member on "
        "several councils, e.g. a district and a parish, is complained about in one capacity; that council hears it)",
    )
    subject_members: list[Annotated[str, Field(max_length=64)]] = Field(
        max_length=50, description="roster ids of the councillors complained about, all of `council`"
    )
    conduct_dates: list[Annotated[date, Strict()]] = Field(
        max_length=50, description="dates of the conduct (ISO YYYY-MM-DD), none in the future"
    )
    provisions: list[Provision] = Field(max_length=20, description="paragraphs of the Code of Conduct engaged")
    description: str = Field(
        max_length=DESCRIPTION_MAX,
        description=f"what happened, {DESCRIPTION_MIN} to {DESCRIPTION_MAX} characters",
        json_schema_extra={"minLength": DESCRIPTION_MIN},
    )
    confidential: bool = Field(default=False, description="the complainant asks to keep their identity confidential")
    confidentiality_reason: str = Field(
        default="", max_length=REASON_MAX, description="required when `confidential` is true"
    )

    def answers(self) -> Answers:
        c = self.complainant
        return Answers(
            name=clean_text(c.name),
            email=clean_text(c.email),
            address=clean_text(c.address, multiline=True),
            phone=clean_text(c.phone),
            type=c.type,
            member_id=clean_text(c.member_id) or None if c.member_id is not None else None,
            council=clean_text(self.council),
            subject_members=[clean_text(m) for m in self.subject_members if clean_text(m)],
            conduct_dates=list(self.conduct_dates),
            provisions=list(self.provisions),
            description=clean_text(self.description, multiline=True),
            confidential=self.confidential,
            confidentiality_reason=clean_text(self.confidentiality_reason, multiline=True),
        )


class ApiProblem(BaseModel):
    field: str = Field(description="where in the body, e.g. complainant.email")
    message: str


class ApiError(BaseModel):
    detail: str
    errors: list[ApiProblem] = []


class ApiCreated(BaseModel):
    reference: str = Field(examples=["WBC-2026-0007"])
    workflow_id: str = Field(examples=["complaint-WBC-2026-0007"])


_API_LABELS = {
    "complainant": ("the complainant", "an object with name, email and type"),
    "complainant.name": ("the complainant's name", "text (empty for an anonymous complaint)"),
    "complainant.email": ("the complainant's email address", "text"),
    "complainant.type": ("the complainant's type", "one of " + ", ".join(t.value for t in ComplainantType)),
    "complainant.address": ("the complainant's address", "text"),
    "complainant.phone": ("the complainant's phone number", "text"),
    "complainant.member_id": ("complainant.member_id", "a councillor's roster id"),
    "council": ("the council", "a council id from the roster"),
    "subject_members": ("subject_members", "a list of councillors' roster ids"),
    "conduct_dates": ("conduct_dates", "a list of dates written YYYY-MM-DD"),
    "provisions": ("provisions", "a list of: " + ", ".join(p.value for p in Provision)),
    "description": ("the description of what happened", "text"),
    "confidential": ("confidential", "true or false"),
    "confidentiality_reason": ("the reason for confidentiality", "text"),
}


def api_problems(error: ValidationError) -> tuple[Literal["body", "fields"], list[Problem]]:
    """Pydantic's errors in words. ("body", ...) when the body is not a JSON object at all."""
    problems: list[Problem] = []
    for e in error.errors(include_url=False):
        loc = [p for p in e["loc"] if p != "__root__"]
        kind = e["type"]
        if kind == "json_invalid":
            return "body", [Problem("body", f"The body is not valid JSON: {e['msg'].removeprefix('Invalid JSON: ')}")]
        if kind == "json_type" or (not loc and kind in ("model_type", "model_attributes_type")):
            return "body", [Problem("body", "The body must be a JSON object (Content-Type: application/json)")]
        path = ".".join(str(p) for p in loc)
        named = ".".join(str(p) for p in loc if isinstance(p, str))
        label, expected = _API_LABELS.get(named, (path, "a valid value"))
        if kind == "extra_forbidden":
            message = f"Unknown field {path}: remove it"
        elif kind == "missing":
            message = f"Give {label}"
        elif kind == "string_too_long":
            message = f"{label[0].upper()}{label[1:]} must be {e['ctx']['max_length']:,} characters or fewer"
        elif kind == "too_long":
            message = f"{label[0].upper()}{label[1:]} must have {e['ctx']['max_length']} items or fewer"
        elif kind.startswith(("date", "enum")) or kind.endswith("_type") or kind.endswith("_parsing"):
            message = f"{label[0].upper()}{label[1:]} must be {expected}"
        else:
            message = f"{label[0].upper()}{label[1:]}: {e['msg']}"
        if all(p.field != path for p in problems):
            problems.append(Problem(path, message))
    return "fields", problems


_INTAKE_FIELDS = {
    ("complainant", "name"): "name",
    ("complainant", "email"): "email",
    ("complainant", "address"): "address",
    ("complainant", "phone"): "phone",
    ("complainant", "type"): "type",
    ("complainant", "member_id"): "member_id",
}


def intake_problems(error: ValidationError) -> list[Problem]:
    """ComplaintIntake's own refusals, should one get past `check_answers`."""
    problems = []
    for e in error.errors(include_url=False):
        loc = tuple(str(p) for p in e["loc"])
        name = _INTAKE_FIELDS.get(loc[:2]) or (loc[0] if loc else "form")
        problems.append(Problem(name, f"Check this answer: {e['msg']}"))
    return problems


def api_field(problem: Problem) -> str:
    return API_PATHS.get(problem.field, problem.field)


def provision_choices() -> list[tuple[str, str, str]]:
    return [(p.value, PROVISION_TITLES[p], PROVISION_HINTS[p]) for p in Provision]
