"""Render a letter from its template pair (pure: no Temporal, no mail, no database).

Templates live in ``<templates_dir>/letters/NAME.txt.j2`` and ``NAME.html.j2``. The text
template's first line is ``Subject: ...``; the subject is taken from it and handed to the
HTML template as ``subject``. Every template gets ``letter`` (LetterContext), ``recipient``
(Recipient) and ``template`` (the template name), plus the helpers registered below.

HTML is rendered with autoescaping on; the only filter that returns markup
(``paragraphs``) escapes its input first. Undefined names fail loudly (StrictUndefined).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape
from pydantic import BaseModel

from conduct.letters import INFORMAL_ACTION_WORDS, LetterContext, LetterRequest, Recipient
from conduct.vocabulary import AssessmentOutcome, ClockName, InformalAction, RecipientRole


class RenderedLetter(BaseModel):
    subject: str
    text: str
    html: str


class LetterTemplateError(ValueError):
    """A template produced something that is not a letter (e.g. no Subject line)."""


# What each clock asks for, in words: (what it is, the action it waits for, where it comes from).
CLOCK_WORDS: dict[ClockName, tuple[str, str, str]] = {
    ClockName.ASSESSMENT: (
        "initial assessment",
        "make and record the initial assessment decision, after consulting an Independent Person",
        "section 3 of the procedure: within 20 working days of receipt of all relevant information",
    ),
    ClockName.INVESTIGATOR_APPOINTMENT: (
        "appointment of an Investigating Officer",
        "appoint an Investigating Officer",
        "section 6 of the procedure: within 14 days of the decision to refer for investigation",
    ),
    ClockName.COMMENT_PERIOD: (
        "period for comments on the draft report",
        "receive any comments on the draft report; the period closes on its own when it ends",
        "section 7 of the procedure: 14 days for comments on the draft report",
    ),
    ClockName.INVESTIGATION: (
        "investigation",
        "complete the investigation and send the final report to the Monitoring Officer",
        "section 7 of the procedure: within 2 months of the Investigating Officer's appointment",
    ),
    ClockName.HEARING: (
        "hearing",
        "hold the Hearings Sub-Committee hearing",
        "the Hearings appendix: within 3 months of receiving the Investigating Officer's final report",
    ),
    ClockName.DECISION_NOTICE: (
        "written decision notice",
        "send the written decision notice, with reasons, to all parties",
        "the Hearings appendix: within 14 days of the date of the hearing",
    ),
    ClockName.CONFIDENTIALITY: (
        "complainant's chance to withdraw after confidentiality was refused",
        "nothing: when it ends, the complainant's identity may be shared and any notice held is sent",
        "R18: the complainant may withdraw within 10 working days of the refusal",
    ),
    ClockName.SUBJECT_RESPONSE: (
        "subject member's written response before the hearing",
        "send the Monitoring Officer a written response to the report (facts agreed and disputed) and any evidence",
        "the Hearings appendix, pre-hearing process: the subject member's response to the report",
    ),
}


# The initial assessment decision (section 3), as "the Monitoring Officer has decided to ...".
DECISION_WORDS: dict[AssessmentOutcome, str] = {
    AssessmentOutcome.NO_ACTION: "take no action on the complaint",
    AssessmentOutcome.INFORMAL: "resolve the complaint informally",
    AssessmentOutcome.INVESTIGATE: "refer the complaint for investigation",
    AssessmentOutcome.REFER: "refer the complaint to the county association of local councils",
    AssessmentOutcome.POLICE: "refer the matter to the police as a possible criminal offence",
}


# ----------------------------------------------------------------------------- helpers


def long_date(value: date | None) -> str:
    """``Monday 2 March 2026``; empty for no date."""
    if value is None:
        return ""
    return f"{value:%A} {value.day} {value:%B %Y}"


def join_words(values: Iterable[str]) -> str:
    """British list: ``A``, ``A and B``, ``A, B and C``."""
    items = [str(v) for v in values if str(v).strip()]
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


def councillor(name: str) -> str:
    name = name.strip()
    if name.lower().startswith(("councillor ", "cllr ", "cllr. ")):
        return name
    return f"Councillor {name}"


def councillors(names: Iterable[str]) -> str:
    return join_words(councillor(n) for n in names if n.strip())


def complainant(letter: LetterContext) -> str:
    """The complainant's name where it may be printed, otherwise "the complainant"."""
    if letter.complainant_identity_withheld or not letter.complainant_name.strip():
        return "the complainant"
    return letter.complainant_name.strip()


def names_complainant(letter: LetterContext) -> bool:
    """True when the complainant may be named (identity not withheld, not anonymous)."""
    return complainant(letter) != "the complainant"


def concerning(letter: LetterContext, recipient: Recipient) -> str:
    """Who the complaint is about, from the reader's side: "you" for a single subject member."""
    if recipient.role == RecipientRole.SUBJECT_MEMBER and len(letter.subject_names) <= 1:
        return "you"
    return councillors(letter.subject_names) or "a member of the council"


def the_complaint(letter: LetterContext, recipient: Recipient) -> str:
    """How a letter refers to the complaint, from the reader's side.

    "your complaint about ...", "the complaint made by ... about you", "the complaint about ...";
    the complainant is named only when their identity is not withheld."""
    if recipient.role == RecipientRole.COMPLAINANT:
        return f"your complaint about {councillors(letter.subject_names) or 'a member of the council'}"
    named = complainant(letter)
    made_by = f" made by {named}" if named != "the complainant" else ""
    return f"the complaint{made_by} about {concerning(letter, recipient)}"


COUNCILLOR_ROLES = frozenset(
    {
        RecipientRole.SUBJECT_MEMBER,
        RecipientRole.GROUP_LEADER,
        RecipientRole.COMMITTEE_CHAIR,
        RecipientRole.PANEL_MEMBER,
        RecipientRole.PARISH_ADVISER,
    }
)


def salutation(recipient: Recipient) -> str:
    """The name after "Dear": councillors are addressed as such."""
    return councillor(recipient.name) if recipient.role in COUNCILLOR_ROLES else recipient.name.strip()


def signatory(letter: LetterContext) -> str:
    """Who signs: the Monitoring Officer, or the deputy acting for a conflicted MO (R16)."""
    return letter.signed_by.strip() or "Monitoring Officer"


def signing_council(letter: LetterContext) -> str:
    """The council whose Monitoring Officer signs: for a parish case, the principal council's."""
    return letter.signing_council_name.strip() or letter.council_name


def informal_action(value: str) -> str:
    """An informal-resolution action in section 5's words. Takes the action's value ("apology") or
    the bare words older cases put in their letters ("advisory letter"); other text is kept."""
    key = str(value).strip().lower().replace(" ", "_")
    if key in {a.value for a in InformalAction}:
        return INFORMAL_ACTION_WORDS[InformalAction(key)]
    return str(value)


# What the workflow put in an informal-outcome letter's items before `resolved` existed; letters
# still in flight in older histories carry only these.
_LEGACY_VERDICTS = {
    "the complaint has been resolved informally.": True,
    "the complaint has been not resolved by informal resolution.": False,
}


def informal_resolved(letter: LetterContext) -> bool | None:
    """R5: did informal resolution resolve the complaint? None when the letter does not say."""
    if letter.resolved is not None:
        return letter.resolved
    verdicts = {_LEGACY_VERDICTS.get(item.strip().lower()) for item in letter.items} - {None}
    return verdicts.pop() if len(verdicts) == 1 else None


def outcome_items(letter: LetterContext) -> list[str]:
    """The items of an informal-outcome letter other than a legacy verdict line."""
    return [item for item in letter.items if item.strip().lower() not in _LEGACY_VERDICTS]


def group_leader_told(letter: LetterContext, recipient: Recipient) -> bool:
    """R2: whether this subject member's Group Leader is informed (never when there is none, or
    when the member is the leader)."""
    return recipient.role == RecipientRole.SUBJECT_MEMBER and recipient.id in letter.group_leader_informed_for


def decision_words(outcome: AssessmentOutcome | str | None) -> str:
    if outcome is None:
        return ""
    value = AssessmentOutcome(outcome)
    return DECISION_WORDS.get(value, value.value.replace("_", " "))


def long_dates(values: Iterable[date]) -> str:
    """``Friday 20 February 2026 and Monday 23 February 2026``."""
    return join_words(long_date(d) for d in sorted(values))


def upfirst(value: str) -> str:
    return value[:1].upper() + value[1:]


def clock_words(clock: ClockName | str | None) -> dict[str, str]:
    if clock is None:
        return {"title": "deadline", "action": "take the action the procedure requires", "source": ""}
    title, action, source = CLOCK_WORDS[ClockName(clock)]
    return {"title": title, "action": action, "source": source}


def paragraphs(value: str) -> Markup:
    """Escape free text and keep its paragraphs and line breaks (HTML templates only)."""
    blocks = [b.strip() for b in str(value).replace("\r\n", "\n").split("\n\n") if b.strip()]
    rendered = []
    for block in blocks:
        lines = Markup("<br>\n").join(escape(line) for line in block.split("\n"))
        rendered.append(Markup("<p>") + lines + Markup("</p>"))
    return Markup("\n").join(rendered)


# ----------------------------------------------------------------------------- environment


@lru_cache(maxsize=8)
def letter_environment(templates_dir: Path) -> Environment:
    """One Jinja2 environment per templates directory (``templates/`` or ``templates/letters/``)."""
    templates_dir = Path(templates_dir)
    root = templates_dir / "letters" if (templates_dir / "letters").is_dir() else templates_dir
    env = Environment(
        loader=FileSystemLoader(root),
        autoescape=select_autoescape(enabled_extensions=("html", "html.j2"), default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
    )
    env.filters.update(
        long_date=long_date,
        long_dates=long_dates,
        informal_action=informal_action,
        decision_words=decision_words,
        join_words=join_words,
        councillor=councillor,
        councillors=councillors,
        paragraphs=paragraphs,
        upfirst=upfirst,
    )
    env.globals.update(
        complainant=complainant,
        names_complainant=names_complainant,
        concerning=concerning,
        the_complaint=the_complaint,
        salutation=salutation,
        clock_words=clock_words,
        signing_council=signing_council,
        signatory=signatory,
        informal_resolved=informal_resolved,
        outcome_items=outcome_items,
        group_leader_told=group_leader_told,
        Role=RecipientRole,
    )
    return env


def _split_subject(rendered: str, name: str) -> tuple[str, str]:
    first, _, rest = rendered.lstrip("\n").partition("\n")
    if not first.startswith("Subject:"):
        raise LetterTemplateError(f"{name}.txt.j2 must start with a 'Subject:' line")
    subject = " ".join(first.removeprefix("Subject:").split())
    if not subject:
        raise LetterTemplateError(f"{name}.txt.j2 has an empty subject")
    body = rest.lstrip("\n").rstrip() + "\n"
    return subject, body


def render_letter(request: LetterRequest, templates_dir: Path) -> RenderedLetter:
    env = letter_environment(Path(templates_dir))
    name = request.template.value
    variables = {"letter": request.context, "recipient": request.recipient, "template": name}
    subject, text = _split_subject(env.get_template(f"{name}.txt.j2").render(variables), name)
    html = env.get_template(f"{name}.html.j2").render(variables, subject=subject)
    return RenderedLetter(subject=subject, text=text, html=html)
