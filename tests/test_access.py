"""The person-level policy (conduct/access.py), table-driven over roles x stages x confidentiality:
who may take which action on a case, what each officer may read of it (DESIGN.md, "Who sees
what"), and which reports each may run. Pure: no Temporal, no files."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from conduct import access, rules
from conduct.case import CaseState, LetterRecord, Withdrawal
from conduct.letters import LetterTemplate
from conduct.roster import Officer, Roster
from conduct.vocabulary import RecipientRole, Role, Stage
from tests import factories

ROSTER: Roster = factories.roster()
COMPLAINANT_EMAIL = "harriet.lomax@example.org"
ADDRESS = "14 Marine Parade"
SENT = datetime(2026, 3, 2, 10, tzinfo=UTC)


def officer(name: str) -> Officer:
    found = ROSTER.officer(name)
    assert found is not None
    return found


def case(stage: Stage, *, confidential: bool = False, investigator: str | None = "io-1", **more: Any) -> CaseState:
    """The factory's full case, put back at `stage` (a hearing only from hearing_pending on)."""
    state = factories.case_state()
    intake = state.intake.model_copy(
        update={"confidential": confidential, "confidentiality_reason": "fear of reprisal"}
    )
    heard = stage in access.HEARING_STAGES or stage is Stage.CLOSED
    letters = [
        LetterRecord(template=LetterTemplate.ACKNOWLEDGEMENT, to=COMPLAINANT_EMAIL, role=RecipientRole.COMPLAINANT,
                     key="k1", sent_at=SENT),
        LetterRecord(template=LetterTemplate.ACKNOWLEDGEMENT, to="desmond@worthing.example",
                     role=RecipientRole.SUBJECT_MEMBER, key="k2", sent_at=SENT),
    ]  # fmt: skip
    update: dict[str, Any] = {
        "stage": stage,
        "intake": intake,
        "investigator": investigator,
        "letters": letters,
        "hearing": state.hearing if heard else None,
        "hearing_outcome": state.hearing_outcome if stage is Stage.CLOSED else None,
        **more,
    }
    return state.model_copy(update=update)


def test_the_role_sets_are_the_rules_own() -> None:
    assert access.MO == rules.MO and access.HEARING_ADMIN == rules.HEARING_ADMIN


# ----------------------------------------------------------------------------- actions

ACTION_CASES: list[tuple[str, str, str | None]] = [
    # officer, action, expected refusal fragment (None: the person may)
    ("mo", "triage", None),
    ("deputy", "assess", None),
    ("io-1", "triage", "io-1 (investigating_officer) cannot triage: it needs"),
    ("dem", "assess", "dem (democratic_services) cannot assess"),
    ("io-1", "draft_report", None),  # appointed to the case
    ("io-2", "draft_report", "io-2 is not the Investigating Officer appointed to WBC-2026-0001"),
    ("io-2", "comment", "io-2 is not the Investigating Officer appointed"),
    ("mo", "comment", None),  # MO_OR_IO: the MO needs no appointment
    ("mo", "final_report", "mo (monitoring_officer) cannot final-report: it needs investigating_officer"),
    ("dem", "schedule_hearing", None),
    ("io-1", "schedule_hearing", "cannot schedule-hearing"),
    ("mo", "hearing_outcome", None),
    ("mo", "no_such_action", "'no_such_action' is not an officer action"),
]


@pytest.mark.parametrize(("who", "action", "refused"), ACTION_CASES)
def test_who_may_take_which_action(who: str, action: str, refused: str | None) -> None:
    reason = access.action_refusal(officer(who), case(Stage.INVESTIGATION), action)
    if refused is None:
        assert reason is None
    else:
        assert reason is not None and refused in reason and reason.startswith("WBC-2026-0001: refused: ")


def test_every_action_follows_the_roles_of_rules_actions() -> None:
    """The roles per action are rules.ACTIONS (R1-R15), not a copy."""
    state = case(Stage.INVESTIGATION)
    for action, rule in rules.ACTIONS.items():
        for who in ("mo", "deputy", "io-1", "dem"):
            allowed = access.action_refusal(officer(who), state, action) is None
            assert allowed == bool(set(officer(who).roles) & rule.roles), (who, action)


def test_an_io_not_yet_appointed_acts_on_no_case() -> None:
    reason = access.action_refusal(officer("io-1"), case(Stage.INVESTIGATOR_APPOINTMENT, investigator=None), "comment")
    assert reason is not None and "not the Investigating Officer appointed" in reason


@pytest.mark.parametrize("conflicts", [["io-1"], [{"officer": "io-1", "reason": "friend"}],
                                       [SimpleNamespace(officer="io-1", reason="friend")]])  # fmt: skip
def test_a_conflicted_officer_does_nothing_on_the_case(conflicts: list[Any]) -> None:
    """R16, read from `conflicts` when the state carries it (issue 14): any of its likely shapes."""
    state = case(Stage.INVESTIGATION)
    object.__setattr__(state, "conflicts", conflicts)
    reason = access.action_refusal(officer("io-1"), state, "draft_report")
    assert reason is not None and "io-1 is recorded as conflicted on WBC-2026-0001" in reason
    assert access.read_access(officer("io-1"), state).refused is not None
    assert access.action_refusal(officer("mo"), state, "comment") is None  # only the conflicted officer


def test_the_mo_does_nothing_where_the_deputy_acts() -> None:
    state = case(Stage.ASSESSMENT)
    object.__setattr__(state, "deputy_acting", True)
    reason = access.action_refusal(officer("mo"), state, "assess")
    assert reason is not None and "the deputy acts for the Monitoring Officer" in reason
    assert access.action_refusal(officer("deputy"), state, "assess") is None
    assert access.read_access(officer("mo"), state).refused is not None


# ----------------------------------------------------------------------------- reads

STAGES = [Stage.TRIAGE, Stage.INVESTIGATION, Stage.HEARING_PENDING, Stage.DECISION_NOTICE, Stage.CLOSED]
# officer -> (refused?, identity withheld?, allegation withheld?) as a function of (referred, confidential)
READS: dict[str, Any] = {
    "mo": lambda referred, confidential: (False, False, False),
    "deputy": lambda referred, confidential: (False, False, False),
    "io-1": lambda referred, confidential: (False, False, False),
    "io-2": lambda referred, confidential: (True, None, None),
    "dem": lambda referred, confidential: (False, confidential or not referred, not referred),
}


@pytest.mark.parametrize("confidential", [False, True])
@pytest.mark.parametrize("stage", STAGES)
@pytest.mark.parametrize("who", list(READS))
def test_who_sees_what(who: str, stage: Stage, confidential: bool) -> None:
    state = case(stage, confidential=confidential)
    referred = stage in (Stage.HEARING_PENDING, Stage.DECISION_NOTICE, Stage.CLOSED)
    refused, no_identity, no_allegation = READS[who](referred, confidential)
    got = access.read_access(officer(who), state)
    assert (got.refused is not None) == refused, got
    if refused:
        assert got.refused and "WBC-2026-0001" in got.refused
        with pytest.raises(ValueError):
            access.redact(state, got)
        return
    assert bool(got.withholds(access.IDENTITY)) == no_identity
    assert bool(got.withholds(access.ALLEGATION)) == no_allegation
    shown = access.redact(state, got).model_dump_json()
    for secret in ("Harriet Lomax", COMPLAINANT_EMAIL, ADDRESS, "01903 000000", "fear of reprisal"):
        assert (secret in shown) == (not no_identity), (secret, who, stage, confidential)
    assert ("called me a liar" in shown) == (not no_allegation)
    assert "desmond@worthing.example" in shown  # the other parties' letters stay


def test_a_confidential_reason_names_who_may_see() -> None:
    got = access.read_access(officer("dem"), case(Stage.HEARING_PENDING, confidential=True))
    withheld = got.withholds(access.IDENTITY)
    assert withheld is not None
    assert withheld.line() == "complainant: withheld (confidential; MO, deputy and the appointed IO only)"


def test_a_case_withdrawn_at_its_hearing_counts_as_referred() -> None:
    withdrawal = Withdrawal(requested_at=SENT, text="I withdraw.", previous_stage=Stage.HEARING_PENDING)
    state = case(Stage.WITHDRAWAL_REQUESTED, withdrawal=withdrawal, hearing=None)
    assert access.referred_to_hearing(state)
    assert not access.read_access(officer("dem"), state).withheld


def test_redaction_keeps_the_shape_of_the_case() -> None:
    state = case(Stage.INVESTIGATION, confidential=True)
    shown = access.redact(state, access.read_access(officer("dem"), state))
    assert shown.reference == state.reference and shown.stage is state.stage and shown.clocks == state.clocks
    assert shown.intake.confidential and shown.intake.complainant.type is state.intake.complainant.type
    assert [r.to for r in shown.letters] == ["", "desmond@worthing.example"]
    assert state.intake.complainant.name == "Harriet Lomax"  # the original is untouched


# ----------------------------------------------------------------------------- lists and reports

REPORTS = {
    # report -> officers who may run it
    "review": {"mo", "deputy", "dem"},
    "report groups": {"mo", "deputy", "dem"},
    "report patterns": {"mo", "deputy"},
    "export decisions": {"mo", "deputy", "dem", "io-1", "io-2"},
    "schedules apply": {"mo", "deputy"},
}


@pytest.mark.parametrize("report", list(REPORTS))
def test_who_may_run_which_report(report: str) -> None:
    for who in ("mo", "deputy", "io-1", "io-2", "dem"):
        reason = access.report_refusal(officer(who), report)
        assert (reason is None) == (who in REPORTS[report]), (who, report, reason)
        if reason:
            assert f"conduct {report}" in reason


def test_only_an_io_is_kept_to_their_own_cases_in_lists() -> None:
    assert {o.id for o in ROSTER.officers if access.sees_every_case(o)} == {"mo", "deputy", "dem"}
    nobody = Officer(id="x", name="X", email="x@example.org", roles=[])
    assert not access.sees_every_case(nobody)
    assert (
        access.read_access(nobody, case(Stage.TRIAGE)).refused
        == "WBC-2026-0001: refused: x (no role) has no role on WBC-2026-0001"
    )
    assert Role.INVESTIGATING_OFFICER not in access.HEARING_ADMIN
