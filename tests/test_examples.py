"""The files in examples/ (used by `conduct demo` and the docs) agree with the test factories."""

from datetime import date

from conduct.intake import ComplaintIntake
from conduct.roster_file import load_roster
from conduct.settings import PROJECT_ROOT
from tests import factories

EXAMPLES = PROJECT_ROOT / "examples"


def test_example_roster_is_the_factory_roster() -> None:
    assert load_roster(EXAMPLES / "roster.toml") == factories.roster()


def test_example_complaint_is_a_valid_intake_about_members_of_its_council() -> None:
    intake = ComplaintIntake.model_validate_json((EXAMPLES / "complaint.json").read_text())
    roster = load_roster(EXAMPLES / "roster.toml")
    assert roster.council(intake.council) is not None
    for member_id in intake.subject_members:
        member = roster.member(member_id)
        assert member is not None, member_id
        assert member.council == intake.council
    assert all(day <= date.today() for day in intake.conduct_dates)
    assert not intake.complainant.anonymous
