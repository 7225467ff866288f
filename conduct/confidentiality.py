"""R18 and "Who sees what": whether a complainant's identity is kept, and the check that keeps an
officer's words naming them out of letters to people who must not learn it.

- Until the MO decides, a complainant who asked for confidentiality is treated as confidential.
  Granted, it stays so. Refused, it stays so until the complainant's chance to withdraw (the
  `confidentiality` clock, 10 working days) has ended without a request to withdraw.
- `TEXT_GOES_TO` says, per action and field, who receives the text in a letter: the CLI's help
  and confirmations print it, and `text_refusal` (called by the workflow's validators through
  conduct.rules, so it holds for every client) refuses a text bound for the subject member, a
  Group Leader, the panel or democratic services that names a confidential complainant, unless
  the officer says it was reviewed.

Pure: no I/O; the workflow calls it.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from pydantic import BaseModel

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
    found: str


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


def text_refusal(case: CaseState, action: str, payload: BaseModel) -> str | None:
    """Why an action's text may not go out: it names a confidential complainant and is bound for
    someone who must not learn who they are. None when it may (or `reviewed` is set)."""
    if getattr(payload, "reviewed", False) or not identity_confidential(case):
        return None
    problems = []
    for field, roles in TEXT_GOES_TO.get(action, {}).items():
        guarded = [r for r in roles if r in GUARDED]
        text = getattr(payload, field, "")
        if not guarded or not isinstance(text, str) or not text.strip():
            continue
        for m in identity_matches(case, text):
            readers = words(guarded)
            problems.append(f"the {field.replace('_', ' ')} holds the complainant's {m.what} {m.found!r} ({readers})")
    if not problems:
        return None
    return (
        "the complainant's identity is confidential (R18) and "
        + "; ".join(problems)
        + ": take it out, or check the text and send it again with --reviewed"
    )
