"""The one vocabulary (conduct/vocabulary.py) as the command line spells it: the same words with
hyphens. Built from the domain enums, so a new stage or sanction reaches the CLI by itself."""

from __future__ import annotations

from enum import Enum, StrEnum
from typing import TypeVar

from conduct.vocabulary import (
    AssessmentOutcome,
    ClockName,
    Finding,
    InformalAction,
    Nation,
    NoActionGround,
    Party,
    Provision,
    Sanction,
    Stage,
)

E = TypeVar("E", bound=StrEnum)


def hyphenated(domain: type[StrEnum], name: str) -> type[Enum]:
    """An Enum whose values are `domain`'s with hyphens: Typer shows them as the choices."""
    return Enum(name, {m.name: m.value.replace("_", "-") for m in domain}, type=str)  # type: ignore[return-value]


def domain(word: Enum | str, enum: type[E]) -> E:
    """The domain value of a CLI word."""
    value = word.value if isinstance(word, Enum) else word
    return enum(str(value).replace("-", "_"))


StageWord = hyphenated(Stage, "StageWord")
OutcomeWord = hyphenated(AssessmentOutcome, "OutcomeWord")
GroundWord = hyphenated(NoActionGround, "GroundWord")
ActionWord = hyphenated(InformalAction, "ActionWord")
SanctionWord = hyphenated(Sanction, "SanctionWord")
PartyWord = hyphenated(Party, "PartyWord")
NationWord = hyphenated(Nation, "NationWord")
ClockWord = hyphenated(ClockName, "ClockWord")
FindingWord = hyphenated(Finding, "FindingWord")
ProvisionWord = hyphenated(Provision, "ProvisionWord")
