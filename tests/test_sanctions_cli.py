"""`conduct sanction-complied`, `conduct cases --sanctions-due` and the training register's part in a
training sanction (R17), from the command line against the time-skipping server: exit codes, and a
course recorded in the register completing the follow-up. The server's clock is not moved (the
officers' attestations carry the real time); tests/test_sanctions.py drives the dates."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest_asyncio
from temporalio.testing import WorkflowEnvironment

from conduct.sanction_times import SanctionTimes
from conduct.sanctions import FollowUpStart, FollowUpState, FollowUpStatus, follow_up_id, follow_up_start
from conduct.vocabulary import Sanction
from tests import factories
from tests.cli_on_test_server import cli_on
from tests.devserver_fixtures import Conduct
from workflows.sanction import SanctionFollowUpWorkflow

REF = "WBC-2029-0042"
COURSE = "Code of Conduct refresher"


@pytest_asyncio.fixture
async def conduct(env: WorkflowEnvironment, tmp_path: Path) -> AsyncIterator[Conduct]:
    data_dir = tmp_path / "var"
    data_dir.mkdir()
    async with cli_on(env, data_dir, "sanctions") as cli:
        yield cli


def start(sanction: Sanction) -> FollowUpStart:
    """A follow-up as the complaint starts one at its decision notice, imposed today."""
    today = datetime.now(UTC).date()
    roster = factories.roster()
    return follow_up_start(
        reference=REF, sanction=sanction, council="worthing", council_name="Worthing Borough Council",
        signing_council_name="", signed_by="", subject_members=["wbc-04"], subject_names=["Desmond Achterberg"],
        hearing_date=today - timedelta(days=3), imposed_on=today,
        outcome=factories_outcome(sanction), times=SanctionTimes(), recipients=_recipients(), officers=roster.officers,
        conflicted=set(),
    )  # fmt: skip


def factories_outcome(sanction: Sanction) -> object:
    from conduct import actions as a

    terms = {"course": COURSE} if sanction is Sanction.TRAINING else {}
    return a.RecordHearingOutcome(officer="dem", finding="breach", sanctions=[sanction], reasons="x", **terms)


def _recipients():  # noqa: ANN202
    from conduct.letters import Recipient
    from conduct.sanctions import Recipients
    from conduct.vocabulary import RecipientRole

    chair = Recipient(
        name="Bernard Okafor", email="bernard.okafor@worthing.example", role=RecipientRole.COMMITTEE_CHAIR
    )
    return Recipients(chair=[chair])


async def begin(conduct: Conduct, sanction: Sanction) -> None:
    await conduct.env.client.start_workflow(
        SanctionFollowUpWorkflow.run, start(sanction), id=follow_up_id(REF, sanction),
        task_queue=conduct.settings.task_queue,
    )  # fmt: skip


async def state(conduct: Conduct, sanction: Sanction) -> FollowUpState:
    handle = conduct.env.client.get_workflow_handle(follow_up_id(REF, sanction))
    return await handle.query(SanctionFollowUpWorkflow.status)


async def code(conduct: Conduct, *args: str) -> tuple[int, str]:
    result = await conduct.run(*args)
    return result.exit_code, result.output


async def test_sanction_complied_from_the_cli_and_the_list_of_sanctions_due(conduct: Conduct) -> None:
    await begin(conduct, Sanction.FORMAL_LETTER)
    today = datetime.now(UTC).date()
    listed = await conduct.eventually(
        lambda: conduct.json("cases", "--sanctions-due"), lambda x: len(x) == 1, "the follow-up in the register"
    )
    assert (listed[0]["reference"], listed[0]["sanction"], listed[0]["status"]) == (REF, "formal_letter", "pending")
    assert listed[0]["due"] == (today + timedelta(days=14)).isoformat()
    assert "formal-letter" in (await conduct.ok("cases", "--sanctions-due")).output
    assert (await code(conduct, "cases", "--sanctions-due", "--overdue"))[0] == 2
    assert (await code(conduct, "cases", "--sanctions-due", "--as", "io-1"))[0] == 3

    tomorrow = (today + timedelta(days=1)).isoformat()
    assert (await code(conduct, "sanction-complied", REF, "--sanction", "formal-letter", "--on", tomorrow))[0] == 2
    assert (await code(conduct, "sanction-complied", REF, "--sanction", "formal-letter", "--on", "soon"))[0] == 2
    assert (await code(conduct, "sanction-complied", REF, "--sanction", "flogging", "--on", today.isoformat()))[0] == 2
    exit_code, said = await code(conduct, "sanction-complied", REF, "--sanction", "training", "--on", today.isoformat())
    assert exit_code == 4 and "no training sanction is being followed up" in said
    exit_code, said = await code(
        conduct, "sanction-complied", REF, "--sanction", "formal-letter", "--on", today.isoformat(), "--as", "io-1"
    )
    assert exit_code == 3 and "cannot record a sanction complied with" in said
    long_ago = (today - timedelta(days=30)).isoformat()
    exit_code, said = await code(conduct, "sanction-complied", REF, "--sanction", "formal-letter", "--on", long_ago)
    assert exit_code == 3 and "before the hearing" in said

    said = (await conduct.ok("sanction-complied", REF, "--sanction", "formal_letter", "--on", today.isoformat())).output
    assert f"complied with on {today.isoformat()} (in time)" in said
    await conduct.eventually(lambda: state(conduct, Sanction.FORMAL_LETTER), lambda s: s.closed_at is not None, "end")
    exit_code, said = await code(
        conduct, "sanction-complied", REF, "--sanction", "formal-letter", "--on", today.isoformat()
    )
    assert exit_code == 3 and "the follow-up is closed (complied" in said
    assert await conduct.json("cases", "--sanctions-due") == []
    chair = [p.read_text() for p in conduct.settings.resolved_outbox_dir.glob("*.eml")]
    assert any("sanction complied with" in text and "bernard.okafor" in text for text in chair)


async def test_attendance_recorded_in_the_training_register_completes_a_training_sanction(conduct: Conduct) -> None:
    await begin(conduct, Sanction.TRAINING)
    await conduct.eventually(lambda: conduct.json("cases", "--sanctions-due"), lambda x: len(x) == 1, "registered")
    today = datetime.now(UTC).date().isoformat()
    other = (await conduct.ok("training", "session", "add", "--title", "Equalities", "--date", today,
                              "--kind", "equalities", "--id", "TS-EQ"))  # fmt: skip
    assert other.exit_code == 0
    said = (await conduct.ok("training", "attend", "TS-EQ", "--member", "wbc-04")).output
    assert "training sanction" not in said  # another course: nothing is complied with
    assert (await state(conduct, Sanction.TRAINING)).status is FollowUpStatus.PENDING
    await conduct.ok("training", "session", "add", "--title", COURSE.upper(), "--date", today, "--kind",
                     "code-of-conduct", "--id", "TS-COC", "--as", "dem")  # fmt: skip
    said = (await conduct.ok("training", "attend", "TS-COC", "--member", "wbc-04", "--as", "dem")).output
    assert f"{REF}: training sanction complied with on {today} (TS-COC)" in said
    done = await conduct.eventually(
        lambda: state(conduct, Sanction.TRAINING), lambda s: s.closed_at is not None, "the follow-up ends"
    )
    assert (done.status, done.session, done.complied_by) == (FollowUpStatus.COMPLIED, "TS-COC", "dem")


async def test_hearing_outcome_flags_for_sanctions_are_checked_before_anything_is_sent(conduct: Conduct) -> None:
    base = ("hearing-outcome", REF, "--as", "dem", "--breach", "--breached", "respect", "--ip-view", "x",
            "--attended", "yes", "--text", "Reasons.")  # fmt: skip
    exit_code, said = await code(conduct, *base, "--sanction", "training")
    assert exit_code == 2 and "training names the course" in said
    exit_code, said = await code(conduct, *base, "--sanction", "committee-removal", "--committee", "Planning")
    assert exit_code == 2 and "--until" in said
    exit_code, said = await code(conduct, *base, "--sanction", "public-apology")
    assert exit_code == 2 and "--apology-meeting" in said
    exit_code, said = await code(conduct, *base, "--sanction", "formal-letter", "--course", COURSE)
    assert exit_code == 2 and "--course goes with --sanction training" in said
    assert (await code(conduct, *base, "--sanction", "committee-removal", "--committee", "P", "--until", "May"))[0] == 2
    help_text = (await conduct.ok("hearing-outcome", "--help")).output
    assert "--apology-meeting" in help_text and "committee chair" in " ".join(help_text.split())
