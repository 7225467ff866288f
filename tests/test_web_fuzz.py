"""Property-based fuzzing of POST /api/complaints: JSON bodies near the schema and far from it,
correctly signed, against the app on the time-skipping server with a worker. Whatever arrives,
the answer is 201, 400 or 422 with a JSON body, never 5xx."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any

import pytest_asyncio
from hypothesis import HealthCheck, event, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from temporalio.testing import WorkflowEnvironment

from conduct.settings import Settings
from conduct.vocabulary import ComplainantType, Provision
from starter.client import workflow_id
from tests.web_fixtures import DESCRIPTION, Web, api_body, make_web, running_web, today
from workflows.complaint import ComplaintWorkflow


@pytest_asyncio.fixture
async def web(env: WorkflowEnvironment, settings: Settings) -> AsyncIterator[Web]:
    async with running_web(env, settings) as made:
        yield made


@pytest_asyncio.fixture
async def web_without_worker(env: WorkflowEnvironment, settings: Settings) -> AsyncIterator[Web]:
    """Starting a workflow needs no worker; without one, no activity thread (letters use
    `random` for Message-IDs) runs while Hypothesis draws examples."""
    made, http = await make_web(settings, lambda: env.client)
    async with http:
        yield made


MEMBERS = ["wbc-04", "wbc-01", "adc-05", "lpc-01", "adc-co-1", "nobody", ""]
COUNCILS = ["worthing", "adur", "lancing-parish", "gotham", "", "WORTHING"]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=8,
)
texts = st.text(max_size=60) | st.sampled_from(["", " ", "<script>alert(1)</script>", "\x00\x07", "é" * 25])


def near(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly the right kind of value, sometimes any JSON at all."""
    return st.one_of(valid, valid, valid, json_values)


def iso_dates() -> st.SearchStrategy[Any]:
    day = st.dates(min_value=date(1800, 1, 1), max_value=today() + timedelta(days=40))
    return st.one_of(day.map(date.isoformat), st.sampled_from(["2026-02-30", "20/02/2026", "", "tomorrow"]))


complainants = st.fixed_dictionaries(
    {
        "name": near(texts),
        "email": near(st.sampled_from(["a@b.example", "harriet.lomax@example.org", "bad@", "", "x@localhost"])),
        "type": near(st.sampled_from([t.value for t in ComplainantType] + ["mayor"])),
    },
    optional={
        "address": near(texts),
        "phone": near(st.sampled_from(["01903 000000", "+44 808 157 0192", "ring", ""])),
        "member_id": near(st.sampled_from(MEMBERS)),
    },
)

bodies = st.fixed_dictionaries(
    {},
    optional={
        "complainant": near(complainants),
        "council": near(st.sampled_from(COUNCILS)),
        "subject_members": near(st.lists(st.sampled_from(MEMBERS), max_size=3)),
        "conduct_dates": near(st.lists(iso_dates(), max_size=3)),
        "provisions": near(st.lists(st.sampled_from([p.value for p in Provision] + ["rudeness"]), max_size=3)),
        "description": near(texts | st.just(DESCRIPTION) | st.text(min_size=15, max_size=40)),
        "confidential": near(st.booleans()),
        "confidentiality_reason": near(texts),
        "evidence": json_values,
    },
)
mostly_valid = st.builds(
    lambda base, changes: {**base, **changes},
    st.just(api_body()),
    st.fixed_dictionaries(
        {},
        optional={
            "complainant": complainants,
            "council": st.sampled_from(COUNCILS),
            "subject_members": st.lists(st.sampled_from(MEMBERS), min_size=1, max_size=2),
            "conduct_dates": st.lists(iso_dates(), min_size=1, max_size=2),
            "description": texts | st.just(DESCRIPTION + " (again)"),
            "confidential": st.booleans(),
        },
    ),
)
payloads = st.one_of(
    bodies.map(lambda b: json.dumps(b).encode()),
    mostly_valid.map(lambda b: json.dumps(b).encode()),
    mostly_valid.map(lambda b: json.dumps(b).encode()),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.binary(max_size=200),
)


@hypothesis_settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(payload=payloads, key=st.none() | st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126)))
async def test_api_never_answers_5xx(web_without_worker: Web, payload: bytes, key: str | None) -> None:
    response = await web_without_worker.post_api(None, raw=payload, key=key or None)
    event(f"HTTP {response.status_code}")
    assert response.status_code in (201, 400, 422), (response.status_code, response.text, payload)
    answer = response.json()
    if response.status_code == 201:
        assert set(answer) == {"reference", "workflow_id"}
    else:
        assert answer["detail"] and all(e["message"] for e in answer.get("errors", []))


async def test_control_characters_are_removed_and_lone_surrogates_refused(web: Web, env: WorkflowEnvironment) -> None:
    raw = json.dumps(api_body()).replace("called me a liar", "called me a\\u0000 liar \\u0007\\u202e").encode()
    response = await web.post_api(None, raw=raw)
    assert response.status_code == 201, response.text
    handle = env.client.get_workflow_handle(workflow_id(response.json()["reference"]))
    state = await handle.query(ComplaintWorkflow.status)
    assert "called me a liar" in state.intake.description
    assert not any(ch in state.intake.description for ch in "\x00\x07\u202e")

    raw = json.dumps(api_body()).replace("called me a liar", "called me a liar\\ud800").encode()
    response = await web.post_api(None, raw=raw)
    assert response.status_code == 400
    assert response.json()["detail"].startswith("The body is not valid JSON: ")
