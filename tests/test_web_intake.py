"""Complaints through the form and the API open real workflows (time-skipping test server and a
worker): the confirmation page, the assessment due date, idempotency (also concurrent), escaping,
and a complaint sent while Temporal was down and again once it is back."""

from __future__ import annotations

import asyncio
import html
import json
import time
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
from starter.web import uploads
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
    signed_headers,
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


async def test_an_internationalised_domain_is_kept_in_its_ascii_form(web: Web, env: WorkflowEnvironment) -> None:
    """Only the part before the @ must be ASCII (tests/test_web_validation.py refuses josé@...): a
    domain in another script is accepted and the case holds the form the mail library can send to."""
    response = await web.post_api(
        api_body(complainant={**api_body()["complainant"], "email": "h.lomax@bücher.example"})
    )
    assert response.status_code == 201, response.text
    state = await status(env.client, response.json()["reference"])
    assert state.intake.complainant.email == "h.lomax@xn--bcher-kva.example"


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


async def test_a_captured_request_cannot_be_replayed(web: Web, env: WorkflowEnvironment) -> None:
    """Issue 13: a captured request replayed with a new Idempotency-Key opened a second case."""
    raw = json.dumps(api_body()).encode()
    captured = {"content-type": "application/json", **signed_headers(raw, "crm-7731")}
    first = await web.http.post("/api/complaints", content=raw, headers=captured)
    assert first.status_code == 201, first.text

    replayed = await web.http.post("/api/complaints", content=raw, headers={**captured, "Idempotency-Key": "crm-9999"})
    assert replayed.status_code == 401
    assert "Wrong X-Conduct-Signature" in replayed.json()["detail"]
    without_key = {k: v for k, v in captured.items() if k != "Idempotency-Key"}
    assert (await web.http.post("/api/complaints", content=raw, headers=without_key)).status_code == 401
    # the same request again is the same complaint; signed six minutes ago, it is refused
    again = await web.http.post("/api/complaints", content=raw, headers=captured)
    assert again.status_code == 201 and again.json() == first.json()
    stale = signed_headers(raw, "crm-7731", timestamp=int(time.time()) - 6 * 60)
    late = await web.http.post("/api/complaints", content=raw, headers={"content-type": "application/json", **stale})
    assert late.status_code == 401
    assert count_intake_keys(web.engine) == 1


async def test_the_same_key_with_another_complaint_is_refused(web: Web, env: WorkflowEnvironment) -> None:
    """Issue 13: a second complaint (about an Adur councillor) sent under a key already used was
    answered with the first complaint's reference, and silently dropped."""
    worthing = await web.post_api(api_body(), key="submission-1")
    assert worthing.status_code == 201
    adur = api_body(council="adur", subject_members=["adc-05"])
    response = await web.post_api(adur, key="submission-1")
    assert response.status_code == 422
    answer = response.json()
    assert "already used for a different complaint" in answer["detail"]
    assert worthing.json()["reference"] not in response.text
    assert count_intake_keys(web.engine) == 1
    # the same complaint re-serialised (other bytes, same answers) is the same complaint
    same = await web.post_api(None, key="submission-1", raw=json.dumps(api_body(), indent=2).encode())
    assert same.status_code == 201 and same.json() == worthing.json()
    assert same.headers["idempotent-replayed"] == "true"


async def test_idempotency_keys_are_scoped_to_the_integrator(
    web: Web, env: WorkflowEnvironment, settings: Settings
) -> None:
    first = await web.post_api(api_body(), key="order-1")
    other, http = await make_web(settings, lambda: env.client, webhook_secret="another-integrators-secret-0123")
    async with http:
        second = await other.post_api(api_body(), key="order-1", secret="another-integrators-secret-0123")
    assert first.status_code == second.status_code == 201
    assert first.json()["reference"] != second.json()["reference"]
    assert "idempotent-replayed" not in second.headers


async def test_evidence_of_an_opened_complaint_is_claimed(web: Web, env: WorkflowEnvironment) -> None:
    files = [("evidence", ("minutes.pdf", PDF, "application/pdf"))]
    response = await web.post_form(form_data(), files=files)
    reference = reference_in(response.text)
    assert reference is not None
    state = await status(env.client, reference)
    upload_dir = web.settings.data_dir / "uploads"
    note = json.loads((upload_dir / f"{state.intake.evidence[0]}.json").read_text())
    assert note["reference"] == reference
    # so the sweep keeps it, however old
    assert uploads.sweep(upload_dir, 0, lambda key: False, now=time.time() + 10 * 24 * 3600) == 0
    assert (upload_dir / state.intake.evidence[0]).read_bytes() == PDF


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
