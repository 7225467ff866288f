"""What a lead case tells its followers (R14, workflows/lead.py), as models that travel in history:
the `follower_joined` update and its answer, the `lead_moved` signal and the `tell_followers`
activity's job (and `follow_lead`, the signal of links recorded before followers joined by update)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from conduct import actions as a
from conduct.actions import Action
from conduct.letters import LetterTemplate
from conduct.vocabulary import Outcome, Stage


class CopiedLetter(BaseModel):
    """A letter a lead case wrote to its complainant, for each follower to write to its own: the
    template and what the lead's step gave it, never the lead's parties."""

    model_config = ConfigDict(extra="ignore")

    template: LetterTemplate
    context: dict[str, Any] = {}
    attachment: str | None = None
    attachment_name: str = ""


class LeadLinkNotice(BaseModel):
    """The `follow_lead` signal: the lead's reference and stage, and its signed `lead` action."""

    model_config = ConfigDict(extra="ignore")

    reference: str
    link: a.Link
    stage: Stage


class JoinNotice(BaseModel):
    """The `follower_joined` update a follower sends its lead (from the `join_lead` activity): the
    follower's reference and the officer's `follow` action on it, as the officers' API signed it."""

    model_config = ConfigDict(extra="ignore")

    reference: str
    link: a.Link


class LeadStanding(BaseModel):
    """The lead's answer to a follower that joined: where the lead stands, for the follower to mirror."""

    model_config = ConfigDict(extra="ignore")

    reference: str
    stage: Stage


class LeadNotice(BaseModel):
    """The `lead_moved` signal: what a procedure-moving step did on the lead."""

    model_config = ConfigDict(extra="ignore")

    reference: str
    action: Action
    payload: dict[str, Any] = {}  # the officer's action as signed (conduct/attestation.py); its update id is the step
    stage: Stage
    outcome: Outcome | None = None
    released: bool = False  # the lead complainant withdrew: followers go on their own
    letters: list[CopiedLetter] = []


class FollowerJob(BaseModel):
    """The `tell_followers` activity's input: one notice for every follower. Sent from an activity,
    not as one signal command each, so that a lead's history does not grow with its followers."""

    notice: LeadNotice
    followers: list[str]
