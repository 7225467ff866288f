"""Complaints through the form and the API open real workflows (time-skipping test server and a
worker): the confirmation page, the assessment due date, idempotency (also concurrent), escaping,
and a complaint sent while Temporal was down and again once it is back."""

from __future__ import annotations

import asyncio
import html
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest_asyncio
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from conduct.calendar import compute_deadline, london_date
from conduct.case import CaseState
from conduct.deadline import DeadlineRequest
from conduct.settings import Settings
from conduct.vocabulary import ClockName, ComplainantType, DayUnit, Nation, Stage
from starter.client import workflow_id
from tests.web_fixtures import (
    DESCRIPTION,
    PDF,
    Web,
    api_body,
    count_intake_keys,
    form_data,
    hidden_tokens,
    kept_tokens,
    make_web,
    reference_in,
    running_web,
)
from worker import build_worker
from workflows.complaint import ComplaintWorkflow


@pytest_asyncio.fixture
async def web(env: WorkflowEnvironment, settings: Settings) -> AsyncIterator[Web]:
    async with running_web(env, settings) as made:
        yield made


SCRIPT = "<script>alert('x')</script>"


async def status(client: Client, reference: str) -> CaseState:
    return await client.get_workflow_handle(workflow_id(reference)).query(ComplaintWorkflow.status)


async def started_events(client: Client, reference: str) -> int:
    handle = client.get_workflow_handle(workflow_id(reference))
    events = [e async for e in handle.fetch_history_events()]
    return sum(1 for e in events if e.HasField("workflow_execution_started_event_attributes"))


async def test_form_opens_a_complaint(web: Web, env: WorkflowEnvironment) -> None:
    files = [("evidence", ("minutes.pdf", PDF, "application/pdf"))]
    response = await web.post_form(
        form_data(confidential="yes", confidentiality_reason="I fear reprisals."), files=files
    )
    assert response.status_code == 200, response.text
    reference = reference_in(response.text)
    assert reference is not None and reference.startswith(f"WBC-{datetime.now(UTC).year}-")
    assert response.headers["cache-control"] == "no-store"

    due = compute_deadline(
        DeadlineRequest(
            clock=ClockName.ASSESSMENT,
            started_at=datetime.now(UTC),
            amount=20,
            unit=DayUnit.WORKING_DAYS,
            nation=Nation.ENGLAND,
            reminder_working_days=0,
        ),
        [],
    ).due
    assert f"{due:%A} {due.day} {due:%B %Y}" in response.text
    assert "20 working days from today" in response.text
    assert "minutes.pdf" in response.text

    state = await status(env.client, reference)
    assert state.stage in (Stage.TRIAGE, Stage.ASSESSMENT)
    intake = state.intake
    assert intake.complainant.name == "Harriet Lomax"
    assert intake.complainant.address == "14 Marine Parade\nWorthing BN11 3PT"
    assert intake.subject_members == ["wbc-04"]
    assert [p.value for p in intake.provisions] == ["respect", "disrepute"]
    assert intake.description == DESCRIPTION
    assert intake.confidential and intake.confidentiality_reason == "I fear reprisals."
    assert len(intake.evidence) == 1 and intake.evidence[0].endswith(".pdf")
    assert (web.settings.data_dir / "uploads" / intake.evidence[0]).read_bytes() == PDF


async def test_api_opens_a_complaint_and_flags_are_not_refusals(web: Web, env: WorkflowEnvironment) -> None:
    response = await web.post_api(api_body(), key="form-builder-1")
    assert response.status_code == 201, response.text
    created = response.json()
    assert set(created) == {"reference", "workflow_id"}
    assert created["workflow_id"] == workflow_id(created["reference"])
    assert "idempotent-replayed" not in response.headers

    # anonymous, six months old, a parish clerk about their own parish council: flagged, not refused
    old = london_date(datetime.now(UTC)).replace(year=datetime.now(UTC).year - 1)
    body = api_body(
        complainant={"name": "", "email": "clerk@lancing-parish.example", "type": "parish_clerk"},
        council="lancing-parish",
        subject_members=["lpc-01"],
        conduct_dates=[old.isoformat()],
    )
    response = await web.post_api(body)
    assert response.status_code == 201, response.text
    state = await status(env.client, response.json()["reference"])
    assert response.json()["reference"].startswith("LPC-")
    assert state.intake.complainant.type is ComplainantType.PARISH_CLERK
    assert len(state.flags) == 3, state.flags


async def test_script_in_every_text_field_is_escaped(web: Web, env: WorkflowEnvironment) -> None:
    data = form_data(
        name=f"Harriet {SCRIPT}",
        address=f"1 High St {SCRIPT}",
        phone="01903 000000",
        description=f"He said {SCRIPT} and <b>shouted</b> & left. " * 2,
        confidential="yes",
        confidentiality_reason=f"Because {SCRIPT}",
    )
    files = [("evidence", (f"{SCRIPT}.txt", b"notes", "text/plain"))]
    response = await web.post_form(data, files=files)
    assert response.status_code == 200, response.text
    assert "<script>" not in response.text
    assert response.text.count(html.escape(SCRIPT, quote=False).replace("'", "&#39;")) >= 4
    assert "&lt;b&gt;shouted&lt;/b&gt; &amp; left." in response.text
    # the stored intake keeps the text as typed
    state = await status(env.client, reference_in(response.text) or "")
    assert state.intake.complainant.name == f"Harriet {SCRIPT}"

    # and on the error page, where the values come back into the form
    response = await web.post_form({**data, "email": "not-an-email"})
    assert response.status_code == 422
    assert "<script>" not in response.text and "&lt;script&gt;" in response.text


async def test_double_submit_of_the_form_is_one_complaint(web: Web, env: WorkflowEnvironment) -> None:
    tokens = await web.form()
    first = await web.post_form(form_data(), tokens=tokens)
    again = await web.post_form(form_data(), tokens=tokens)
    together = await asyncio.gather(*(web.post_form(form_data(), tokens=tokens) for _ in range(4)))
    references = {reference_in(r.text) for r in [first, again, *together]}
    assert len(references) == 1 and None not in references
    reference = references.pop()
    assert await started_events(env.client, reference) == 1
    assert count_intake_keys(web.engine) == 1

    # a new form is a new complaint
    other = await web.post_form(form_data())
    assert reference_in(other.text) not in (None, reference)


async def test_double_submit_of_the_api_is_one_complaint(web: Web, env: WorkflowEnvironment) -> None:
    body = api_body()
    keyed = await asyncio.gather(*(web.post_api(body, key="retry-me") for _ in range(5)))
    assert {r.status_code for r in keyed} == {201}
    assert len({r.json()["reference"] for r in keyed}) == 1
    assert sum(r.headers.get("idempotent-replayed") == "true" for r in keyed) == 4

    # without a key, the same bytes are the same complaint; other bytes are another
    unkeyed = await asyncio.gather(*(web.post_api(body) for _ in range(3)))
    assert len({r.json()["reference"] for r in unkeyed}) == 1
    other = await web.post_api(api_body(description=DESCRIPTION + " Again."))
    references = {keyed[0].json()["reference"], unkeyed[0].json()["reference"], other.json()["reference"]}
    assert len(references) == 3
    for reference in references:
        assert await started_events(env.client, reference) == 1


async def test_complaint_sent_while_temporal_was_down_is_sent_again(
    env: WorkflowEnvironment, settings: Settings
) -> None:
    class Flaky:
        down = True

        async def __call__(self) -> Client:
            if self.down:
                raise RuntimeError("Failed client connect: Server connection error")
            return env.client

    flaky = Flaky()
    web, http = await make_web(settings, flaky)
    async with build_worker(env.client, settings, fail_fast=True), http:
        tokens = await web.form()
        files = [("evidence", ("minutes.pdf", PDF, "application/pdf"))]
        response = await web.post_form(form_data(), tokens=tokens, files=files)
        assert response.status_code == 503
        again = {**hidden_tokens(response.text)}
        assert again["submission"] == tokens["submission"]
        kept = kept_tokens(response.text)

        flaky.down = False
        response = await web.post_form(form_data(kept_evidence=kept), tokens=again)
        assert response.status_code == 200, response.text
        reference = reference_in(response.text)
        assert reference is not None
        state = await status(env.client, reference)
        assert len(state.intake.evidence) == 1
        assert await started_events(env.client, reference) == 1
