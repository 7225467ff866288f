"""`conduct letters REF [--show N [--to ROLE]]`: the letters a case sent, and each one as its
recipient read it, rendered again from the request the case's history holds (the `send_letter`
activity's input: template, recipient and the facts it was written with). Nothing else keeps a
sent letter: the mail provider has it, and the register only says that it went.

A letter in full names people and quotes the complaint, so it is shown only to a reader who may
read both the complainant's identity and the allegation (conduct/access.py); the list, which
names roles and dates only, to anyone who may read the case.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from starter.output import Exit, esc, fail, out

if TYPE_CHECKING:
    from temporalio.client import Client

    from conduct.letters import LetterRequest


class SentLetter(BaseModel):
    n: int
    template: str
    at: datetime
    to: list[str]


class ShownLetter(BaseModel):
    n: int
    template: str
    to: str
    subject: str
    text: str
    html: str


def _requests(value: Any) -> list[LetterRequest]:
    from conduct.letters import LetterBatch, LetterRequest

    try:
        if isinstance(value, dict) and "requests" in value:
            return list(LetterBatch.model_validate(value).requests)
        return [LetterRequest.model_validate(value)]
    except ValidationError:  # not a letter this code can read again (shown in the list, not in full)
        return []


async def letters_of(client: Client, reference: str) -> list[tuple[SentLetter, list[LetterRequest]]]:
    """Each letter of the case in the order sent, with its requests (one per recipient)."""
    from temporalio.api.enums.v1 import EventType

    from starter import session
    from starter.timeline import LETTER_ACTIVITIES, letter_of

    history = await session.handle(client, reference).fetch_history()
    grouped: dict[str, tuple[SentLetter, list[LetterRequest]]] = {}
    for e in history.events:
        if e.event_type != EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            continue
        attrs = e.activity_task_scheduled_event_attributes
        if attrs.activity_type.name not in LETTER_ACTIVITIES or not attrs.input.payloads:
            continue
        try:
            value = (await client.data_converter.decode(list(attrs.input.payloads)))[0]
        except Exception:  # noqa: BLE001 - a payload no key here opens (e.g. shredded): not listed in full
            continue
        data = value if isinstance(value, dict) else {}
        for request in _requests(data):
            letter = letter_of(request.key)  # one activity per recipient
            if letter not in grouped:
                at = e.event_time.ToDatetime(tzinfo=UTC)
                sent = SentLetter(n=len(grouped) + 1, template=request.template.value, at=at, to=[])
                grouped[letter] = (sent, [])
            grouped[letter][0].to.append(request.recipient.role.value)
            grouped[letter][1].append(request)
    return list(grouped.values())


def shown(letters: list[tuple[SentLetter, list[LetterRequest]]], n: int, to: str | None) -> ShownLetter:
    """Letter `n` as recipient `to` (a role; default its first recipient) read it."""
    from activities.letters import render_letter
    from conduct.settings import get_settings

    if not 1 <= n <= len(letters):
        fail(Exit.USAGE, f"--show: give a number from 1 to {len(letters)}" if letters else "the case sent no letters")
    sent, requests = letters[n - 1]
    request = next((r for r in requests if to is None or r.recipient.role.value == to.replace("-", "_")), None)
    if request is None:
        fail(Exit.USAGE, f"--to: letter {n} went to {', '.join(sent.to)}")
    rendered = render_letter(request, get_settings().templates_dir)
    return ShownLetter(n=n, template=sent.template, to=request.recipient.role.value, **rendered.model_dump())


def render_list(reference: str, letters: list[SentLetter]) -> None:
    from rich.table import Table

    console = out()
    if not letters:
        console.print(f"{esc(reference)} has sent no letters")
        return
    table = Table(title=f"{esc(reference)}: letters sent", title_justify="left")
    for column in ("n", "letter", "sent", "to"):
        table.add_column(column)
    for letter in letters:
        table.add_row(str(letter.n), esc(letter.template), f"{letter.at:%Y-%m-%d %H:%M}", esc(", ".join(letter.to)))
    console.print(table)
    console.print(f"`conduct letters {esc(reference)} --show N [--to ROLE]` shows one as it was read")
