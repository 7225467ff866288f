"""Models that travel in Temporal history stay decodable when the code changes (issue 11).

A case stays open for a year; in that time its start input (the complaint and the roster), the
rosters sent to it and its letters' recipients are decoded again on every replay, by whatever
code is deployed then. Today's models must read what a newer version wrote (unknown fields), a
newer model must read what today's code wrote, and an address is not judged again on the way
out of history (an email-validator upgrade must not wedge open cases). The strict checks live at
the entry points instead; tests/test_roster_io.py and tests/test_web_validation.py hold those.
"""

from __future__ import annotations

import json
import typing
from datetime import date
from typing import Any

import pytest
from pydantic import BaseModel
from temporalio.api.common.v1 import Payload
from temporalio.client import WorkflowHistory

from conduct.intake import StartComplaint
from conduct.letters import Recipient
from conduct.roster import Member, Roster
from conduct.roster_file import RosterFile
from starter.client import DATA_CONVERTER
from tests import corpus

LEGACY = corpus.HISTORIES / "full_hearing.json"


# A later version of the models: a member gains fields, the roster a list, the start input a
# field. Built as subclasses so that they stay in step with today's models.
class MemberNext(Member):
    ward: str = ""
    term_ends_on: date | None = None


class RosterNext(Roster):
    members: list[MemberNext] = []
    casework_teams: list[str] = []


class StartComplaintNext(StartComplaint):
    roster: RosterNext
    channel: str = "web"


def _start_payload(history: WorkflowHistory) -> Payload:
    assert history.events[0].HasField("workflow_execution_started_event_attributes")
    started = history.events[0].workflow_execution_started_event_attributes
    assert started.workflow_type.name == "Complaint"
    return started.input.payloads[0]


def _json_payload(data: Any) -> Payload:
    return Payload(metadata={"encoding": b"json/plain"}, data=json.dumps(data).encode())


def _legacy() -> WorkflowHistory:
    return WorkflowHistory.from_json("complaint-WBC-2029-0001", LEGACY.read_text())


async def test_a_recorded_start_input_decodes_into_a_model_that_gained_fields() -> None:
    [start] = await DATA_CONVERTER.decode([_start_payload(_legacy())], [StartComplaintNext])
    assert isinstance(start, StartComplaintNext)
    assert start.reference == "WBC-2029-0001"
    assert start.channel == "web" and start.roster.casework_teams == []
    assert len(start.roster.members) == 24 and all(m.ward == "" for m in start.roster.members)


async def test_todays_models_decode_what_a_newer_version_wrote() -> None:
    """Fails with `extra="forbid"` on the roster models: a roster (or start input) written by code
    that has one more field could not be read by the code still running the open cases."""
    [recorded] = await DATA_CONVERTER.decode([_start_payload(_legacy())], [StartComplaintNext])
    newer = recorded.model_copy(
        update={
            "roster": recorded.roster.model_copy(
                update={
                    "members": [
                        m.model_copy(update={"ward": "Marine", "term_ends_on": date(2031, 5, 1)})
                        for m in recorded.roster.members
                    ],
                    "casework_teams": ["planning"],
                }
            )
        }
    )
    payloads = await DATA_CONVERTER.encode([newer])
    assert b"term_ends_on" in payloads[0].data and b"casework_teams" in payloads[0].data
    [start] = await DATA_CONVERTER.decode(payloads, [StartComplaint])
    assert type(start) is StartComplaint and type(start.roster) is Roster
    kept = recorded.roster.member("wbc-04").model_dump(exclude={"ward", "term_ends_on"})  # type: ignore[union-attr]
    assert start.roster.member("wbc-04").model_dump() == kept  # type: ignore[union-attr]
    [roster] = await DATA_CONVERTER.decode(await DATA_CONVERTER.encode([newer.roster]), [Roster])
    assert roster.officer("mo") is not None and roster.group_leader("worthing", "Labour") is not None


async def test_addresses_in_history_are_not_judged_again() -> None:
    """A `.local` address (an on-premises mail domain) that an email-validator version refuses, in
    a recorded roster, complaint and letter: the case must still replay, so it must still decode."""
    [payload] = [_start_payload(_legacy())]
    data = json.loads(payload.data)
    data["roster"]["officers"][0]["email"] = "monitoring.officer@wbc.local"
    data["intake"]["complainant"]["email"] = "harriet@lomax.local"
    [start] = await DATA_CONVERTER.decode([_json_payload(data)], [StartComplaint])
    assert start.roster.officer("mo").email == "monitoring.officer@wbc.local"  # type: ignore[union-attr]
    assert start.intake.complainant.email == "harriet@lomax.local"

    recipient = {"name": "Parish Clerk", "email": "clerk@parish.local", "role": "parish_clerk", "large_print": True}
    [decoded] = await DATA_CONVERTER.decode([_json_payload(recipient)], [Recipient])
    assert decoded.email == "clerk@parish.local"


async def test_every_recorded_letter_recipient_decodes_with_an_unknown_field() -> None:
    """Each recipient of a letter activity in the recorded history, as a newer version might write it."""
    found = 0
    for event in _legacy().events:
        if not event.HasField("activity_task_scheduled_event_attributes"):
            continue
        for payload in event.activity_task_scheduled_event_attributes.input.payloads:
            for recipient in _dicts_under(json.loads(payload.data), "recipient"):
                [decoded] = await DATA_CONVERTER.decode(
                    [_json_payload({**recipient, "salutation": "Dear"})], [Recipient]
                )
                assert decoded.email == recipient["email"]
                found += 1
    assert found > 20  # a full hearing case writes to every party


def _dicts_under(data: Any, key: str) -> list[dict[str, Any]]:
    if isinstance(data, dict):
        here = [data[key]] if isinstance(data.get(key), dict) else []
        return here + [d for v in data.values() for d in _dicts_under(v, key)]
    if isinstance(data, list):
        return [d for v in data for d in _dicts_under(v, key)]
    return []


@pytest.mark.parametrize("path", corpus.recorded(), ids=lambda p: p.stem)
async def test_every_corpus_start_input_decodes_with_a_model_that_gained_fields(path: Any) -> None:
    """The encrypted corpus (tests/histories, recorded by tests/record_histories.py), read through
    the production converter and codec, into the later version of the models."""
    converter = corpus.converter()
    history = corpus.load(path)
    [start] = await converter.decode([_start_payload(history)], [StartComplaintNext])
    assert start.roster.members and all(m.term_ends_on is None for m in start.roster.members)


# ----------------------------------------------------------------------------- strict at the door


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _models_in(arg)]


def test_every_model_a_roster_file_holds_forbids_unknown_keys() -> None:
    """A field of a new model added to Roster (say, committees) must get a strict entry model in
    conduct/roster_file.py, or a misplaced key in that part of a roster file would pass unseen."""
    seen: set[type[BaseModel]] = set()
    todo: list[type[BaseModel]] = [RosterFile]
    while todo:
        model = todo.pop()
        if model in seen:
            continue
        seen.add(model)
        assert model.model_config.get("extra") == "forbid", f"{model.__name__} in a roster file ignores unknown keys"
        for field in model.model_fields.values():
            todo.extend(_models_in(field.annotation))
    assert len(seen) >= 7


def test_history_models_ignore_unknown_keys() -> None:
    assert Roster.model_validate({"members": [], "casework_teams": [{"id": "planning"}]}) == Roster()
