"""The flags every `conduct assess` gives for sections 3-4's initial tests and public interest test
(starter/actions_cli.py uses them; the referrals' answers are starter/assessment_cli.py)."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any

import typer

from conduct.destinations import goes_to
from conduct.vocabulary import InitialTest
from starter.output import Exit, fail
from starter.words import domain, hyphenated

InitialTestWord = hyphenated(InitialTest, "InitialTestWord")
PublicInterestWord = Enum("PublicInterestWord", {"MET": "met", "NOT_MET": "not-met"}, type=str)  # type: ignore[misc]

TestsMet = Annotated[bool, typer.Option("--tests-met", help="sections 3-4: every initial test is met")]
TestFailed = Annotated[
    list[InitialTestWord] | None,  # type: ignore[valid-type]
    typer.Option("--test-failed", help="sections 3-4: an initial test not met (repeatable)", show_default=False),
]
PublicInterest = Annotated[
    PublicInterestWord | None,  # type: ignore[valid-type]
    typer.Option("--public-interest", help="sections 3-4: the public interest test, met or not", show_default=False),
]
PublicInterestReason = Annotated[
    str | None,
    typer.Option(
        "--public-interest-reason",
        help=f"why the public interest test is or is not met; {goes_to('assess', 'public_interest_reason')}",
        show_default=False,
    ),
]


def tests_from(tests_met: bool, test_failed: list[Any] | None, public_interest: Any, reason: str | None) -> dict:
    """The initial tests and the public interest test as the payload's `tests`: every assessment gives them."""
    if tests_met == bool(test_failed):
        fail(Exit.USAGE, "record the initial tests: give --tests-met, or --test-failed TEST for each test not met")
    if public_interest is None or not (reason or "").strip():
        fail(Exit.USAGE, "record the public interest test: --public-interest met|not-met and --public-interest-reason")
    return {
        "failed": [domain(t, InitialTest) for t in test_failed or []],
        "public_interest": str(getattr(public_interest, "value", public_interest)) == "met",
        "public_interest_reason": (reason or "").strip(),
    }
