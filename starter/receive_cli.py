"""`conduct receive --file F.json --received-on DATE --channel post|email|in-person [--original FILE]`
(MO or deputy): a complaint that came on paper, by e-mail or at the counter, recorded from its
original (issue 14, "Channels and receipt").

The complaint is the webhook's JSON (starter/web/forms.py `ApiComplaint`: the same fields, the same
checks, `check_answers`), except that a postal address may stand in for the e-mail address (the
letters then go by post, conduct/postal.py), and the conduct may not be after the day of receipt.
It is opened the way every client opens one (starter/complaints.py `open_complaint`), with the
assessment clock running from `--received-on` (today at the latest, RECEIVED_ON_MAX_DAYS back at
most), and the channel recorded on the case and in the register. The original (the scanned
letter, the .eml) is sealed in the case's document store like a report's documents, and listed
with the case's evidence; it is required for post and e-mail.

The same command run again opens nothing new: the submission key is the digest of the file, the
channel, the day and the original. Exit 0 opened (or found), 2 bad flags or a complaint with
problems, 3 refused (not the MO or a deputy), 1 Temporal or the register unreachable.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from pydantic import ConfigDict, Field

from starter.output import Exit, done, emit_json, fail
from starter.web.forms import (
    EMAIL_MAX,
    ApiComplainant,
    ApiComplaint,
    api_field,
    api_problems,
    check_answers,
    intake_problems,
    to_intake,
)

if TYPE_CHECKING:
    from temporalio.client import Client

    from conduct.channels import Channel
    from conduct.documents import DocumentRef
    from conduct.intake import ComplaintIntake
    from conduct.roster import Roster
    from conduct.settings import Settings
    from starter.complaints import OpenedComplaint

LONDON = ZoneInfo("Europe/London")
RECEIVE = "receive"
FILE_MAX_BYTES = 1 << 20  # the webhook's body limit (CONDUCT_MAX_API_BODY_BYTES' default)


class ReceivedComplainant(ApiComplainant):
    model_config = ConfigDict(extra="forbid", title="Complainant")

    email: str = Field(
        default="", max_length=EMAIL_MAX, description="empty when the complainant gave only a postal address"
    )


class ReceivedComplaint(ApiComplaint):
    """The webhook's complaint; the complainant may be reached by post alone."""

    complainant: ReceivedComplainant  # type: ignore[assignment]


def _problems(lines: list[str]) -> None:
    fail(Exit.USAGE, "--file: the complaint has problems: " + "; ".join(lines))


def _read(file: Path, limit: int, flag: str, settings: Settings) -> bytes:
    from conduct.document_store import DocumentError, read_bounded
    from starter.text_input import _same_file, secret_files

    if _same_file(file, secret_files(settings)):
        fail(Exit.USAGE, f"{flag}: {file} is one of the service's keys or secrets: refused")
    try:
        return read_bounded(file, limit)
    except DocumentError as err:
        fail(Exit.USAGE, f"{flag}: {err}")


def _london_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), LONDON)


def command(
    settings: Settings,
    as_officer: str | None,
    file: Path,
    received_on: date,
    channel: Channel,
    original: Path | None,
    json_: bool,
) -> None:
    from pydantic import ValidationError

    from conduct.calendar import london_date
    from conduct.channels import CHANNEL_WORDS, Channel
    from conduct.postal import RECEIVED_ON_MAX_DAYS
    from conduct.vocabulary import Role
    from starter import access_cli, officer, roster_io

    who = officer.identify(settings, as_officer)
    if not {Role.MONITORING_OFFICER, Role.DEPUTY_MONITORING_OFFICER} & set(who.roles):
        have = ", ".join(sorted(r.value for r in who.roles)) or "no role"
        access_cli.refuse(settings, RECEIVE, who.id, f"refused: {who.id} ({have}) cannot receive a complaint: it "
                          "needs deputy_monitoring_officer or monitoring_officer", action=RECEIVE)  # fmt: skip
    if channel is Channel.ONLINE:
        fail(Exit.USAGE, "--channel: online complaints come through the web form or the webhook; give post, email "
             "or in-person")  # fmt: skip
    today = london_date(datetime.now(LONDON))
    if received_on > today:
        fail(Exit.USAGE, f"--received-on {received_on.isoformat()} is in the future (today is {today.isoformat()})")
    if received_on < today - timedelta(days=RECEIVED_ON_MAX_DAYS):
        fail(Exit.USAGE, f"--received-on {received_on.isoformat()} is more than {RECEIVED_ON_MAX_DAYS} days ago: "
             "check the date; a complaint found so late is received today, with a note saying why")  # fmt: skip
    if original is None and channel in (Channel.POST, Channel.EMAIL):
        fail(Exit.USAGE, f"--original: a complaint received {CHANNEL_WORDS[channel]} is recorded with its original "
             "(the scanned letter, or the e-mail as an .eml file)")  # fmt: skip

    body = _read(file, FILE_MAX_BYTES, "--file", settings)
    try:
        complaint = ReceivedComplaint.model_validate_json(body)
    except ValidationError as err:
        _, found = api_problems(err)
        _problems([f"{api_field(p)}: {p.message}" for p in found])
    roster = roster_io.roster_in_force(settings)
    if roster is None or not roster.councils:
        fail(Exit.USAGE, "no roster is in force: import one first (conduct roster import)")
    answers = complaint.answers()
    found = check_answers(answers, roster, received_on, require_identity=False, postal=True)
    if found:
        _problems([f"{api_field(p)}: {p.message}" for p in found])
    try:
        intake = to_intake(answers, []).model_copy(update={"channel": channel})
    except ValidationError as err:
        _problems([f"{api_field(p)}: {p.message}" for p in intake_problems(err)])
    scan = _read(original, settings.attachment_max_kib * 1024, "--original", settings) if original else b""

    digest = hashlib.sha256(
        b"\0".join([body, channel.value.encode(), received_on.isoformat().encode(), hashlib.sha256(scan).digest()])
    ).hexdigest()
    key = f"receive:{digest}"
    opened = _open(settings, intake, roster, key, _london_midnight(received_on), original, scan)
    access_cli.note(settings, RECEIVE, who.id, "ok", case=opened.reference, action=RECEIVE)
    if json_:
        emit_json({**opened.model_dump(), "received_on": received_on.isoformat(), "channel": channel.value})
        return
    again = "" if opened.new else " (already received: the same case)"
    done(f"{opened.reference}: complaint received {CHANNEL_WORDS[channel]} on {received_on.isoformat()}{again}")


def _open(settings: Settings, intake: ComplaintIntake, roster: Roster, key: str, received_at: datetime,
          original: Path | None, scan: bytes) -> OpenedComplaint:  # fmt: skip
    """The reference first (idempotent by key), so the original can be sealed for the case before
    the workflow starts with it; then `open_complaint`, which finds the same reference."""
    from conduct.document_store import DocumentError, DocumentStore
    from conduct.intake_keys import reference_for
    from starter import roster_io, session
    from starter.complaints import IntakeRefused, open_complaint

    council = roster.council(intake.council)
    assert council is not None  # check_answers
    with roster_io.register(settings) as engine:
        try:
            reference, new = reference_for(engine, key, council.code, received_at.year, key)
        except Exception as err:  # noqa: BLE001 - the register is down: say so in one line
            fail(Exit.ERROR, f"the case register cannot be reached: {type(err).__name__}")
        document: DocumentRef | None = None
        if original is not None:
            try:
                document, _ = DocumentStore(settings).put(reference, original.name, scan)
            except DocumentError as err:
                fail(Exit.USAGE, f"--original: {err}")
        intake = intake.model_copy(update={"original": document})

        async def work(client: Client) -> OpenedComplaint:
            try:
                opened = await open_complaint(
                    client, settings, engine, intake, roster, key, received_at=received_at, digest=key
                )
            except IntakeRefused as err:
                fail(Exit.USAGE, f"--file: {err}")
            return opened.model_copy(update={"new": new})

        return session.run(settings, work)
