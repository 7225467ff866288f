"""The letters as a standards lawyer would send them (issue 14, "Letters a standards lawyer would
not send today"): each test renders the real templates and checks the wording against the
procedure (section 3, section 5, section 6, withdrawal) and the Code (paragraphs 2.1 and 8.3)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from activities.letters import RenderedLetter, render_letter
from conduct.addressees import Addressees
from conduct.letters import LetterContext, LetterRequest, LetterTemplate, Recipient
from conduct.roster import Contact, Roster
from conduct.roster_file import roster_from_data
from conduct.settings import PROJECT_ROOT
from conduct.vocabulary import AssessmentOutcome, InformalAction, RecipientRole
from tests import factories

TEMPLATES = PROJECT_ROOT / "templates"


def render(
    template: LetterTemplate,
    role: RecipientRole = RecipientRole.COMPLAINANT,
    recipient: Recipient | None = None,
    **context: Any,
) -> RenderedLetter:
    request = LetterRequest(
        key=f"{factories.REFERENCE}:{template.value}:{role.value}",
        template=template,
        reference=factories.REFERENCE,
        recipient=recipient or factories.recipient(role),
        context=factories.letter_context(**context),
    )
    return render_letter(request, TEMPLATES)


def both(letter: RenderedLetter) -> str:
    return letter.text + "\n" + letter.html


# ----------------------------------------------------------------------------- R5: informal outcome

RESOLVED_LEGACY = "The complaint has been resolved informally."
NOT_RESOLVED_LEGACY = "The complaint has been not resolved by informal resolution."


@pytest.mark.parametrize("role", [RecipientRole.COMPLAINANT, RecipientRole.SUBJECT_MEMBER])
def test_informal_outcome_resolved_says_only_that(role: RecipientRole):
    letter = render(LetterTemplate.INFORMAL_OUTCOME, role, resolved=True, items=[])
    assert "Informal resolution has resolved the complaint." in letter.text
    assert "No further action is required, and the complaint is now closed." in letter.text
    for wrong in ("not resolved", "If it has not", "refer the complaint for investigation"):
        assert wrong not in both(letter)


@pytest.mark.parametrize("role", [RecipientRole.COMPLAINANT, RecipientRole.SUBJECT_MEMBER])
def test_informal_outcome_not_resolved_says_only_that(role: RecipientRole):
    letter = render(LetterTemplate.INFORMAL_OUTCOME, role, resolved=False, items=[])
    assert "Informal resolution has not resolved the complaint." in letter.text
    assert "decide whether to refer the complaint for investigation" in letter.text
    for wrong in ("has been not", "no further action is needed", "now closed", "If informal resolution has"):
        assert wrong not in both(letter)


def test_informal_outcome_from_an_older_case_reads_its_verdict_from_the_items():
    """A letter still in flight in an older history has no `resolved`, only the verdict line that
    read "has been not resolved"; it is rendered with the verdict in plain words, once."""
    failed = render(LetterTemplate.INFORMAL_OUTCOME, items=[NOT_RESOLVED_LEGACY])
    assert "has been not resolved" not in both(failed)
    assert "Informal resolution has not resolved the complaint." in failed.text
    assert "If informal resolution has resolved" not in failed.text
    resolved = render(LetterTemplate.INFORMAL_OUTCOME, items=[RESOLVED_LEGACY])
    assert "Informal resolution has resolved the complaint." in resolved.text
    assert "not resolved" not in both(resolved)


def test_a_false_verdict_survives_the_trip_through_history():
    """The compact form leaves out defaults; `resolved=False` is not one and must come back."""
    context = factories.letter_context(resolved=False)
    assert LetterContext.model_validate_json(context.model_dump_json()).resolved is False
    assert LetterContext.model_validate(context.model_dump()).resolved is False
    assert "resolved" not in factories.letter_context().model_dump()  # a default stays out of history


# ----------------------------------------------------------------------------- R5: informal actions


SECTION_5 = {
    InformalAction.TRAINING: "provide further training and guidance to the Subject Member",
    InformalAction.MEDIATION: "mediate between the Complainant and the Subject Member",
    InformalAction.APOLOGY: "require the Subject Member to write a personal apology to the Complainant",
    InformalAction.ADVISORY_LETTER: "write an advisory letter to the Subject Member",
}


@pytest.mark.parametrize(
    "items",
    [
        [a.value for a in InformalAction],  # the actions' values
        [a.value.replace("_", " ") for a in InformalAction],  # the bare words older cases sent
    ],
)
def test_decision_informal_writes_the_actions_as_section_5_does(items: list[str]):
    letter = render(LetterTemplate.DECISION_INFORMAL, RecipientRole.SUBJECT_MEMBER, items=items)
    assert "In resolving the complaint informally, the Monitoring Officer will:" in letter.text
    for words in SECTION_5.values():
        assert f"- {words}\n" in letter.text
        assert f"<li>{words}</li>" in letter.html
    assert "- apology\n" not in letter.text and "- advisory letter\n" not in letter.text
    assert "such other action as the Monitoring Officer and the Independent Person have agreed" in letter.text


def test_decision_informal_keeps_actions_already_in_words():
    letter = render(LetterTemplate.DECISION_INFORMAL, items=["attend a meeting with the Clerk"])
    assert "- attend a meeting with the Clerk\n" in letter.text


# ----------------------------------------------------------------------------- R1: subject notified


def test_subject_notified_does_not_say_confidentiality_was_agreed_before_any_decision():
    letter = render(
        LetterTemplate.SUBJECT_NOTIFIED,
        RecipientRole.SUBJECT_MEMBER,
        complainant_name="",
        complainant_identity_withheld=True,
    )
    assert "has agreed" not in both(letter)
    assert "asked for their identity to be kept confidential" in letter.text
    assert "the Monitoring Officer will decide that request" in letter.text
    assert factories.COMPLAINANT_NAME not in both(letter)


def test_subject_notified_promises_the_group_leader_only_where_one_is_told():
    told = render(LetterTemplate.SUBJECT_NOTIFIED, RecipientRole.SUBJECT_MEMBER, group_leader_informed_for=["wbc-04"])
    assert "Your Group Leader will also be told" in told.text and "Your Group Leader will also be told" in told.html
    # no leader (an Independent), or the subject is the leader: the workflow leaves them out of the list
    for informed_for in ([], ["wbc-03"]):
        letter = render(
            LetterTemplate.SUBJECT_NOTIFIED, RecipientRole.SUBJECT_MEMBER, group_leader_informed_for=informed_for
        )
        assert "Group Leader" not in both(letter)


def test_subject_notified_states_that_paragraph_8_3_requires():
    letter = render(LetterTemplate.SUBJECT_NOTIFIED, RecipientRole.SUBJECT_MEMBER)
    assert "asks members" not in both(letter)
    assert (
        "Paragraph 8.3 of the Code requires that you do not intimidate, or attempt to intimidate, any person who is "
        "likely to be involved with the administration of any investigation or proceedings."
    ) in letter.text


def test_subject_notified_summarises_the_allegation():
    letter = render(
        LetterTemplate.SUBJECT_NOTIFIED,
        RecipientRole.SUBJECT_MEMBER,
        conduct_dates=[date(2026, 2, 23), date(2026, 2, 20)],
        provisions=["1. Respect", "5. Disrepute"],
        text="",
        complainant_name="",
        complainant_identity_withheld=True,
    )
    assert (
        "What the complaint alleges: that, on Friday 20 February 2026 and Monday 23 February 2026, you did not "
        "comply with these parts of the Code:\n- 1. Respect\n- 5. Disrepute\n"
    ) in letter.text
    assert "<h2>What the complaint alleges</h2>" in letter.html
    assert "<li>5. Disrepute</li>" in letter.html
    assert "This is an allegation only: no decision has been made" in letter.text


def test_subject_notified_without_provisions_or_dates_still_says_what_is_alleged():
    letter = render(LetterTemplate.SUBJECT_NOTIFIED, RecipientRole.SUBJECT_MEMBER, provisions=[], text="")
    assert "What the complaint alleges: that you did not comply with the Code." in letter.text


# ----------------------------------------------------------------------------- R1: acknowledgement


def test_acknowledgement_tells_the_complainant_their_confidentiality_request_is_noted():
    """The complainant's own letter is never blanked, so the paragraph keys on the request itself."""
    asked = render(LetterTemplate.ACKNOWLEDGEMENT, confidentiality_requested=True, complainant_identity_withheld=False)
    assert "You asked for your identity to be kept confidential." in asked.text
    assert "The Monitoring Officer will decide that request" in asked.html
    not_asked = render(LetterTemplate.ACKNOWLEDGEMENT)
    assert "kept confidential" not in both(not_asked)


def test_acknowledgement_gives_the_assessment_due_date():
    letter = render(LetterTemplate.ACKNOWLEDGEMENT, assessment_due=date(2026, 3, 30))
    assert "by Monday 30 March 2026" in letter.text and "by Monday 30 March 2026" in letter.html


# ----------------------------------------------------------------------------- R2: Group Leader


@pytest.mark.parametrize(
    ("outcome", "words"),
    [
        (AssessmentOutcome.NO_ACTION, "has decided to take no action on the complaint"),
        (AssessmentOutcome.INFORMAL, "has decided to resolve the complaint informally"),
        (AssessmentOutcome.INVESTIGATE, "has decided to refer the complaint for investigation"),
        (AssessmentOutcome.REFER, "has decided to refer the complaint to the county association of local councils"),
    ],
)
def test_group_leader_told_with_the_decision_is_not_told_there_is_none(outcome: AssessmentOutcome, words: str):
    letter = render(LetterTemplate.GROUP_LEADER_INFORMED, RecipientRole.GROUP_LEADER, assessment_outcome=outcome)
    assert "No decision has yet been made" not in both(letter)
    assert "is making an initial assessment" not in both(letter)
    assert words in letter.text and words in letter.html


def test_group_leader_told_before_the_decision_is_told_there_is_none_yet():
    letter = render(LetterTemplate.GROUP_LEADER_INFORMED, RecipientRole.GROUP_LEADER)
    assert "No decision has yet been made." in letter.text
    assert "expects to complete it by Monday 30 March 2026" in letter.text


def _case(subjects: dict[str, str], council: str = "worthing", hearing_council: str | None = None):
    return factories.case_state(
        council=council,
        hearing_council=hearing_council or council,
        subject_members=list(subjects),
        subject_groups=subjects,
    )


def test_group_leader_exemption_says_why_r2_does_not_apply():
    roster = factories.roster()
    ordinary = Addressees(roster, _case({"wbc-04": "Labour"}))
    assert ordinary.group_leader_exemption() is None
    assert ordinary.group_leader_informed_for() == ["wbc-04"]
    assert [r.id for r in ordinary.group_leaders()] == ["wbc-03"]

    leader = Addressees(roster, _case({"wbc-03": "Labour"}))
    assert leader.group_leaders() == [] and leader.group_leader_informed_for() == []
    assert leader.group_leader_exemption() == "Councillor Catherine Pryce is the Leader of the Labour group"

    independent = Addressees(roster, _case({"wbc-09": "Independent"}))
    assert independent.group_leaders() == [] and independent.group_leader_informed_for() == []
    assert independent.group_leader_exemption() == "Councillor Imogen Tate (Independent) has no Group Leader"

    # the member and their own leader together: nobody is told, and both reasons are given
    pair = Addressees(roster, _case({"wbc-03": "Labour", "wbc-04": "Labour"}))
    assert pair.group_leaders() == [] and pair.group_leader_informed_for() == []
    reason = pair.group_leader_exemption()
    assert reason is not None and "is the Leader of the Labour group" in reason
    assert "Councillor Desmond Achterberg's Group Leader, Councillor Catherine Pryce, is also a subject" in reason

    mixed = Addressees(roster, _case({"wbc-04": "Labour", "wbc-09": "Independent"}))
    assert mixed.group_leader_informed_for() == ["wbc-04"]
    assert mixed.group_leader_exemption() == "Councillor Imogen Tate (Independent) has no Group Leader"


# ----------------------------------------------------------------------------- R6: chair advised


def _roster_with_vice_chairs() -> Roster:
    roster = factories.roster()
    worthing = roster.council("worthing")
    assert worthing is not None and worthing.committee_chair is not None
    assert worthing.committee_chair.email == "bernard.okafor@worthing.example"  # the chair is member wbc-02
    worthing.vice_chair = Contact(name="Gwendolyn Marsh", email="gwendolyn.marsh@worthing.example")  # wbc-07
    return roster


def test_chair_advised_goes_to_the_chair_when_the_chair_is_not_a_subject():
    (to,) = Addressees(_roster_with_vice_chairs(), _case({"wbc-04": "Labour"})).committee_chair()
    assert (to.name, to.id, to.role) == ("Bernard Okafor", "chair", RecipientRole.COMMITTEE_CHAIR)
    letter = render(LetterTemplate.CHAIR_ADVISED, recipient=to)
    assert "as Chair of the committee responsible for standards" in letter.text


def test_chair_advised_goes_to_the_vice_chair_when_the_chair_is_the_subject():
    to = Addressees(_roster_with_vice_chairs(), _case({"wbc-02": "Conservative"})).committee_chair()
    assert [(r.name, r.email, r.id) for r in to] == [
        ("Gwendolyn Marsh", "gwendolyn.marsh@worthing.example", "vice-chair")
    ]
    letter = render(LetterTemplate.CHAIR_ADVISED, recipient=to[0], subject_names=["Bernard Okafor"])
    assert "Dear Councillor Gwendolyn Marsh," in letter.text
    assert "as Vice-Chair of the committee responsible for standards" in letter.text
    assert "as Vice-Chair of the committee" in letter.html


def test_chair_advised_goes_to_nobody_rather_than_to_a_subject():
    roster = _roster_with_vice_chairs()
    # the chair is recognised whatever the case of their address
    worthing = roster.council("worthing")
    assert worthing is not None
    worthing.committee_chair = Contact(name="Bernard Okafor", email="Bernard.Okafor@Worthing.example")
    both_subjects = Addressees(roster, _case({"wbc-02": "Conservative", "wbc-07": "Liberal Democrat"}))
    assert both_subjects.committee_chair() == []
    no_vice_chair = Addressees(factories.roster(), _case({"wbc-02": "Conservative"}))
    assert no_vice_chair.committee_chair() == []


def test_a_roster_file_may_name_a_vice_chair_and_it_is_checked():
    data = _roster_with_vice_chairs().model_dump(mode="json")
    roster = roster_from_data(data)
    worthing = roster.council("worthing")
    assert worthing is not None and worthing.vice_chair is not None
    assert worthing.vice_chair.email == "gwendolyn.marsh@worthing.example"
    data["councils"][0]["vice_chair"] = {"name": "Nobody", "email": "not an address"}
    with pytest.raises(ValueError, match="vice_chair"):
        roster_from_data(data)


# ----------------------------------------------------------------------------- parish cases


@pytest.mark.parametrize("template", list(LetterTemplate))
def test_parish_letters_are_signed_by_the_principal_councils_monitoring_officer(template: LetterTemplate):
    letter = render(
        template,
        RecipientRole.SUBJECT_MEMBER,
        council_name="Lancing Parish Council",
        signing_council_name="Adur District Council",
    )
    assert "\nAdur District Council\n\nReference" in letter.text
    assert "Officer\nLancing Parish Council" not in letter.text
    assert "Officer's case system\nLancing Parish Council" not in letter.text
    assert "<br>Adur District Council</p>" in letter.html
    assert "<br>Lancing Parish Council</p>" not in letter.html
    assert '<p class="reference">Adur District Council &middot;' in letter.html


def test_the_signing_council_of_a_parish_case_is_its_principal():
    parish = Addressees(factories.roster(), _case({"lpc-01": "Independent"}, "lancing-parish", "adur"))
    assert parish.signing_council_name() == "Adur District Council"
    assert Addressees(factories.roster(), _case({"wbc-04": "Labour"})).signing_council_name() == (
        "Worthing Borough Council"
    )


def test_a_principal_councils_letters_are_signed_as_before():
    letter = render(LetterTemplate.DECISION_NO_ACTION)
    assert "Monitoring Officer\nWorthing Borough Council\n" in letter.text


# ----------------------------------------------------------------------------- R13: withdrawal


def test_withdrawal_received_cites_paragraph_8_3_for_intimidation():
    letter = render(LetterTemplate.WITHDRAWAL_RECEIVED)
    assert "paragraph 2.1 of the Code of Conduct, particularly any intimidation" not in both(letter)
    assert (
        "particularly any intimidation: paragraph 8.3 of the Code requires that a member does not intimidate, "
        "or attempt to intimidate, any person who is likely to be involved with the administration of any "
        "investigation or proceedings"
    ) in letter.text
    assert "paragraph 8.3 of the Code requires" in letter.html
