"""R18 and "Who sees what": whether a complainant's identity is kept, and the check that keeps an
officer's words naming them out of letters to people who must not learn it.

- Until the MO decides, a complainant who asked for confidentiality is treated as confidential.
  Granted, it stays so. Refused, it stays so until the complainant's chance to withdraw (the
  `confidentiality` clock, 10 working days) has ended without a request to withdraw.
- `TEXT_GOES_TO` says, per action and field, who receives the text in a letter: the CLI's help
  and confirmations print it, and `text_refusal` (called by the workflow's validators through
  conduct.rules, so it holds for every client) refuses a text bound for the subject member, a
  Group Leader, the panel or democratic services that names a confidential complainant, unless
  the officer says it was reviewed. Its refusal names the field, what was found (name, e-mail,
  phone) and who would read it, never the text itself: it goes into the update's failure, the
  history and the audit log. The CLI shows the officer the texts found (starter/text_matches.py).

Pure: no I/O; the workflow calls it.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from pydantic import BaseModel

from conduct import destinations
from conduct.destinations import GUARDED, TEXT_GOES_TO, words

if TYPE_CHECKING:
    from conduct.case import CaseState

_TITLES = {"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "dame", "rev", "cllr", "councillor"}


def identity_confidential(case: CaseState) -> bool:
    """R18: kept until the MO decides; kept when granted; when refused, kept until the
    complainant's chance to withdraw has ended without their asking to withdraw."""
    if not case.intake.confidential:
        return False
    decision = case.confidentiality
    if decision is None or decision.granted:
        return True
    return not decision.window_closed or decision.withdrew_in_window


def window_open(case: CaseState) -> bool:
    """R18: confidentiality was refused and the complainant may still withdraw."""
    decision = case.confidentiality
    return decision is not None and not decision.granted and not decision.window_closed


class IdentityMatch(BaseModel):
    what: str  # "name", "e-mail", "phone"
    found: str  # the text found: for the officer's eyes only, never a refusal the workflow gives


def _name_patterns(name: str) -> list[tuple[str, re.Pattern[str]]]:
    """The whole name, and each part of it of three letters or more (a surname alone, "Ms Shah")."""
    name = " ".join(name.split())
    if not name:
        return []
    parts = [p for p in re.split(r"[\s\-]+", name) if len(p) >= 3 and p.lower().strip(".") not in _TITLES]
    wanted = dict.fromkeys([name, *parts])
    return [(w, re.compile(rf"(?<!\w){re.escape(w)}(?!\w)", re.IGNORECASE)) for w in wanted]


def identity_matches(case: CaseState, text: str) -> list[IdentityMatch]:
    """Where `text` holds the complainant's name, e-mail or phone number."""
    c = case.intake.complainant
    out: list[IdentityMatch] = []
    for _word, pattern in _name_patterns(c.name):
        hit = pattern.search(text)
        if hit:
            out.append(IdentityMatch(what="name", found=hit.group(0)))
    if c.email and c.email.strip().lower() in text.lower():
        out.append(IdentityMatch(what="e-mail", found=c.email.strip()))
    digits = re.sub(r"\D", "", c.phone or "")
    if len(digits) >= 6:
        phone = re.compile(r"[\s\-().]*".join(re.escape(d) for d in digits))
        hit = phone.search(text)
        if hit:
            out.append(IdentityMatch(what="phone", found=hit.group(0)))
    return out


REFUSED = "the complainant's identity is confidential (R18)"


class TextMatch(BaseModel):
    """Where an officer's text names a confidential complainant, and who would read it there."""

    field: str
    what: str  # "name", "e-mail", "phone"
    found: str
    readers: str


def text_matches(case: CaseState, action: str, payload: BaseModel, letters: bool = True) -> list[TextMatch]:
    """Each place an action's text bound for a guarded reader names a confidential complainant;
    none when the officer said it was reviewed, or the identity is not kept. `letters`: a one-off
    letter's text too, whose reader is the party it is sent to."""
    if getattr(payload, "reviewed", False) or not identity_confidential(case):
        return []
    out: list[TextMatch] = []
    goes_to = destinations.readers(action, payload) if letters else TEXT_GOES_TO.get(action, {})
    for field, roles in goes_to.items():
        guarded = [r for r in roles if r in GUARDED]
        text = getattr(payload, field, "")
        if not guarded or not isinstance(text, str) or not text.strip():
            continue
        readers = words(guarded)
        out += [
            TextMatch(field=field, what=m.what, found=m.found, readers=readers) for m in identity_matches(case, text)
        ]
    return out


def text_refusal(
    case: CaseState, action: str, payload: BaseModel, show: bool = False, letters: bool = True
) -> str | None:
    """Why an action's text may not go out: it names a confidential complainant and is bound for
    someone who must not learn who they are. None when it may (or `reviewed` is set).

    The workflow's refusal (show False) names the field, the kind of detail and its readers, never
    the text found: it goes into the update's failure, the history of a re-check and the audit log.
    The CLI, which may show the officer what they sent, asks again with show True."""
    found = text_matches(case, action, payload, letters)
    if not found:
        return None
    places: dict[tuple[str, str, str], list[str]] = {}
    for m in found:
        places.setdefault((m.field, m.what, m.readers), []).append(m.found)
    problems = []
    for (field, what, readers), texts in places.items():
        quoted = " " + ", ".join(f'"{t}"' for t in dict.fromkeys(texts)) if show else ""
        problems.append(f"the {field.replace('_', ' ')} holds the complainant's {what}{quoted} ({readers})")
    return (
        REFUSED + " and " + "; ".join(problems) + ": take it out, or check the text and send it again with --reviewed"
    )
