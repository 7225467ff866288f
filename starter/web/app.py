"""The public web app: how to complain, the complaint form, the signed JSON webhook and the
published decision notices (R12). Every complaint goes through `starter.complaints.open_complaint`.

When Temporal (or the register) cannot be reached, nothing the complainant typed is lost: the
form comes back with their answers and the files they attached (kept, under signed names), a
503 status and a request to send it again; the API answers 503 with Retry-After, and the same
Idempotency-Key (or the same body) later gives the same reference and one workflow.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import inspect
import logging
import math
import re
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Header, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape
from pydantic import ValidationError
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException
from temporalio.client import Client
from temporalio.service import RPCError

from conduct.calendar import LONDON, compute_deadline, london_date
from conduct.deadline import DeadlineRequest
from conduct.evidence_seal import EvidenceSeal
from conduct.intake import ComplaintIntake
from conduct.intake_keys import KeyReused, key_in_use
from conduct.procedure import ProcedureSettings
from conduct.register import create_schema, make_engine
from conduct.roster import Council, Member, Roster
from conduct.roster_store import current_roster
from conduct.settings import Settings
from conduct.vocabulary import GROUND_TITLES, PROVISION_TITLES, SANCTION_TITLES, ClockName, DayUnit
from starter.client import connect
from starter.complaints import IntakeRefused, OpenedComplaint, open_complaint
from starter.forwarded import UVICORN_OPTIONS, ProxyTrust
from starter.web import forms, group_reports, uploads
from starter.web.config import WebConfig
from starter.web.decisions import decisions_router
from starter.web.forms import FORM_IDS, Answers, Problem
from starter.web.monitoring import monitoring_router
from starter.web.security import (
    CSRF_COOKIE,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    BodySizeLimit,
    ByteQuota,
    RateLimiter,
    SecurityHeaders,
    Signer,
    client_address,
    integrator_id,
    webhook_refusal,
)

log = logging.getLogger("conduct.web")
HERE = Path(__file__).resolve().parent
ClientFactory = Callable[[], Client | Awaitable[Client]]
_REFERENCE = re.compile(r"^[A-Z]{2,6}-\d{4}-\d{4,}$")
_IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,128}$")
_TEMPORAL_DOWN = (RPCError, RuntimeError, TimeoutError, OSError, OperationalError)

SECURITY_HEADERS = {
    "content-security-policy": (
        "default-src 'self'; script-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
    ),
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
}
STATUS_TITLES = {
    400: "There is a problem with your request",
    401: "You are not allowed to do that",
    403: "You are not allowed to do that",
    404: "Page not found",
    405: "Page not found",
    413: "What you sent is too large",
    415: "What you sent is not in a form we accept",
    429: "You have sent too many complaints in a short time",
    500: "Sorry, there is a problem with the service",
    503: "Sorry, the service is unavailable",
}


class TemporalUnavailable(Exception):
    """Temporal (or the register) did not answer: the complaint was not opened yet."""


def long_date(d: date) -> str:
    return f"{d:%A} {d.day} {d:%B %Y}"


def short_date(d: date) -> str:
    return f"{d.day} {d:%B %Y}"


def paragraphs(text: str) -> Markup:
    """Plain text (a decision notice, a description) as escaped HTML: blank lines separate
    paragraphs, '- ' lines make lists, other line breaks are kept."""
    out: list[str] = []
    for block in re.split(r"\n\s*\n", (text or "").strip()):
        lines = block.splitlines()
        items = [line for line in lines if line.startswith("- ")]
        if items and len(items) == len(lines):
            out.append("<ul>" + "".join(f"<li>{escape(line[2:])}</li>" for line in items) + "</ul>")
        elif items:
            head = [line for line in lines if not line.startswith("- ")]
            out.append("<p>" + "<br>".join(str(escape(line)) for line in head) + "</p>")
            out.append("<ul>" + "".join(f"<li>{escape(line[2:])}</li>" for line in items) + "</ul>")
        else:
            out.append("<p>" + "<br>".join(str(escape(line)) for line in lines) + "</p>")
    return Markup("\n".join(out))


def approximate_days(amount: int, unit: DayUnit) -> float:
    if unit is DayUnit.WORKING_DAYS:
        return amount * 7 / 5
    if unit is DayUnit.CALENDAR_MONTHS:
        return amount * 30.44
    return float(amount)


@dataclass
class Timescale:
    stage: str
    length: str
    starts_on: str
    rule: str


def timescales(procedure: ProcedureSettings) -> tuple[list[Timescale], dict[str, int]]:
    """The procedure's clocks in words, and rough totals in weeks/months for the summary."""
    clocks = procedure.clocks
    names = {
        ClockName.ASSESSMENT: "Initial assessment by the Monitoring Officer",
        ClockName.INVESTIGATOR_APPOINTMENT: "Appointing an Investigating Officer",
        ClockName.INVESTIGATION: "Investigation",
        ClockName.COMMENT_PERIOD: "Comments on the draft investigation report",
        ClockName.HEARING: "Hearing by the Hearings Sub-Committee",
        ClockName.DECISION_NOTICE: "Written decision notice",
    }
    rows = [
        Timescale(stage=label, length=clocks[name].describe(), starts_on=clocks[name].starts_on, rule=clocks[name].rule)
        for name, label in names.items()
        if name in clocks
    ]

    def days(*names_: ClockName) -> float:
        return sum(approximate_days(clocks[n].amount, clocks[n].unit) for n in names_ if n in clocks)

    assessment = days(ClockName.ASSESSMENT)
    investigated = days(ClockName.ASSESSMENT, ClockName.INVESTIGATOR_APPOINTMENT, ClockName.INVESTIGATION)
    heard = investigated + days(ClockName.HEARING, ClockName.DECISION_NOTICE)
    totals = {
        "assessment_weeks": max(1, math.ceil(assessment / 7)),
        "investigation_months": max(1, math.ceil(investigated / 30.44)),
        "hearing_months": max(1, math.ceil(heard / 30.44)),
    }
    return rows, totals


@dataclass
class WebState:
    settings: Settings
    config: WebConfig
    engine: Engine
    signer: Signer
    env: Environment
    upload_dir: Path
    client_factory: ClientFactory
    evidence_seal: EvidenceSeal | None = None  # evidence sealed at rest (None: no keys configured)
    procedure: ProcedureSettings = field(default_factory=ProcedureSettings)
    form_limiter: RateLimiter = field(init=False)
    api_limiter: RateLimiter = field(init=False)
    upload_quota: ByteQuota = field(init=False)
    proxies: ProxyTrust = field(init=False)
    _client: Client | None = None
    _client_lock: asyncio.Lock | None = None

    def __post_init__(self) -> None:
        self.form_limiter = RateLimiter(self.config.form_rate_burst, self.config.form_rate_per_minute)
        self.api_limiter = RateLimiter(self.config.api_rate_burst, self.config.api_rate_per_minute)
        self.upload_quota = ByteQuota(self.config.upload_quota_bytes_per_hour)
        self.proxies = self.config.proxy_trust()

    def render(
        self, name: str, status: int = 200, headers: dict[str, str] | None = None, **context: Any
    ) -> HTMLResponse:
        html = self.env.get_template(name).render(**context)
        response = HTMLResponse(html, status_code=status, headers=headers)
        return response

    async def client(self) -> Client:
        if self._client is None:
            if self._client_lock is None:
                self._client_lock = asyncio.Lock()
            async with self._client_lock:
                if self._client is None:
                    made = self.client_factory()
                    self._client = await made if inspect.isawaitable(made) else made
        return self._client

    def roster(self) -> Roster | None:
        return current_roster(self.engine)

    def today(self) -> date:
        return london_date(datetime.now(UTC))

    def assessment_due(self, council: Council, received_at: datetime) -> tuple[date, str] | None:
        rule = self.procedure.clocks.get(ClockName.ASSESSMENT)
        if rule is None:
            return None
        deadline = compute_deadline(
            DeadlineRequest(
                clock=ClockName.ASSESSMENT,
                started_at=received_at,
                amount=rule.amount,
                unit=rule.unit,
                nation=council.nation,
                reminder_working_days=0,
            ),
            list(self.settings.closures),
        )
        return deadline.due, rule.describe()

    def client_address(self, request: Request) -> str:
        return client_address(request.scope, self.proxies)

    def sweep_uploads(self) -> int:
        """Delete evidence no complaint refers to, once older than the setting (run at start-up and periodically)."""
        return uploads.sweep(
            self.upload_dir, self.config.upload_sweep_hours * 3600, lambda key: key_in_use(self.engine, key)
        )

    async def open(
        self, intake: ComplaintIntake, roster: Roster, key: str, received_at: datetime, digest: str | None = None
    ) -> OpenedComplaint:
        """open_complaint, with every sign of an unreachable Temporal or register as TemporalUnavailable."""
        timeout = self.config.temporal_timeout_seconds
        try:
            client = await asyncio.wait_for(self.client(), timeout)
            return await asyncio.wait_for(
                open_complaint(
                    client,
                    self.settings,
                    self.engine,
                    intake,
                    roster,
                    key,
                    received_at=received_at,
                    procedure=self.procedure,
                    digest=digest,
                ),
                timeout,
            )
        except (IntakeRefused, KeyReused):
            raise
        except _TEMPORAL_DOWN as err:
            log.warning(
                "complaint not opened, Temporal or the register is unavailable: %s: %s",
                type(err).__name__,
                str(err)[:300],
            )
            raise TemporalUnavailable from err


def _template_env() -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["long_date"] = long_date
    env.filters["short_date"] = short_date
    env.filters["paragraphs"] = paragraphs
    env.globals["service_name"] = "Complain about a councillor"
    return env


def _is_api(path: str) -> bool:
    return path.startswith("/api/")


# ----------------------------------------------------------------------------- the form


@dataclass
class FormView:
    raw: dict[str, Any] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    kept: list[uploads.StoredFile] = field(default_factory=list)
    notice: str = ""


def _council_groups(roster: Roster) -> list[tuple[Council, list[Member]]]:
    by_council: dict[str, list[Member]] = {c.id: [] for c in roster.councils}
    for m in roster.members:
        for council in m.councils:  # a dual-hatted member is listed under each council they sit on
            by_council.setdefault(council, []).append(m)
    return [(c, sorted(by_council.get(c.id, []), key=lambda m: m.name)) for c in roster.councils]


def _csrf_cookie(state: WebState, request: Request) -> str:
    value = request.cookies.get(CSRF_COOKIE)
    return value if state.signer.cookie_value_ok(value) else state.signer.new_cookie_value()


def _form_page(
    state: WebState,
    request: Request,
    roster: Roster,
    view: FormView,
    status: int = 200,
    submission: str | None = None,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    cookie = _csrf_cookie(state, request)
    # A blank form may be kept by the browser: "back" after sending then shows the same form, with
    # the same submission token, so sending it again finds the same complaint (see the POST
    # route). A form with answers in it (after a problem) is personal data and is not stored.
    cache = "private, max-age=0" if request.method == "GET" else "no-store"
    errors = [(FORM_IDS.get(p.field, p.field), p.message) for p in view.problems]
    field_errors: dict[str, str] = {}
    for p in view.problems:
        field_errors.setdefault(p.field, p.message)
    response = state.render(
        "complain.html",
        status=status,
        headers={"cache-control": cache, **(headers or {})},
        title="Make a complaint",
        values=view.raw,
        errors=errors,
        field_errors=field_errors,
        notice=view.notice,
        councils=_council_groups(roster),
        types=list(forms.TYPE_LABELS.items()),
        provisions=forms.provision_choices(),
        date_slots=range(1, forms.DATE_SLOTS + 1),
        kept=[(uploads.keep_token(state.signer, f), f) for f in view.kept],
        csrf_token=state.signer.csrf_token(cookie),
        submission=submission or state.signer.submission_token(),
        config=state.config,
        accept=uploads.ACCEPT,
        max_mb=max(1, state.config.max_file_bytes // (1024 * 1024)),
    )
    response.set_cookie(CSRF_COOKIE, cookie, httponly=True, samesite="lax", secure=state.config.cookie_secure, path="/")
    return response


@dataclass
class NewFile:
    """An evidence file of this post that passed its checks, not yet written to disk."""

    data: bytes
    kind: str
    name: str


async def _read_evidence(
    state: WebState, form: Any, kept: list[uploads.StoredFile]
) -> tuple[list[NewFile], list[Problem]]:
    """Check each new file in memory; problems name the files that were not accepted. Nothing is
    written: only an accepted post stores its files (a refused one left them behind for nobody)."""
    problems: list[str] = []
    files = [f for f in form.getlist("evidence") if isinstance(f, UploadFile) and (f.filename or f.size)]
    limit = state.config.max_files
    accepted: list[NewFile] = []
    for upload in files:
        name = uploads.clean_original_name(upload.filename)
        if len(kept) + len(accepted) >= limit:
            problems.append(f"You can attach up to {limit} files: {name} was not attached")
            continue
        data = await upload.read(state.config.max_file_bytes + 1)
        if not data:
            problems.append(f"{name} is empty: choose a file with something in it")
            continue
        if len(data) > state.config.max_file_bytes:
            problems.append(f"{name} must be smaller than {state.config.max_file_bytes // (1024 * 1024)} MB")
            continue
        kind = uploads.sniff(data[:4096])
        if kind is None:
            problems.append(f"{name} must be a PDF, PNG, JPEG or plain text file")
            continue
        accepted.append(NewFile(data=data, kind=kind, name=name))
    for upload in files:
        await upload.close()
    return accepted, [Problem("evidence", message) for message in problems]


def _choose_again(new: list[NewFile]) -> list[Problem]:
    return [
        Problem("evidence", f"Attach {f.name} again when you send the form: files are kept only with a complete form")
        for f in new
    ]


async def _store_evidence(state: WebState, new: list[NewFile], submission: str) -> list[uploads.StoredFile]:
    seal = state.evidence_seal
    return [
        await asyncio.to_thread(uploads.store, state.upload_dir, f.data, f.kind, f.name, submission, seal) for f in new
    ]


def _rate_limited(state: WebState, request: Request, limiter: RateLimiter) -> int:
    wait = limiter.take(state.client_address(request))
    return RateLimiter.retry_after(wait) if wait else 0


def _answers_summary(answers: Answers, roster: Roster, evidence: list[uploads.StoredFile]) -> dict[str, Any]:
    council = roster.council(answers.council)
    members = [roster.member(m) for m in answers.subject_members]
    return {
        "name": answers.name,
        "email": answers.email,
        "address": answers.address,
        "phone": answers.phone,
        "type": forms.TYPE_LABELS.get(answers.type, "") if answers.type else "",
        "council": council.name if council else answers.council,
        "members": [m.name for m in members if m],
        "dates": answers.conduct_dates,
        "provisions": [PROVISION_TITLES[p] for p in answers.provisions],
        "description": answers.description,
        "confidential": answers.confidential,
        "confidentiality_reason": answers.confidentiality_reason,
        "evidence": evidence,
    }


# ----------------------------------------------------------------------------- the app


def create_app(
    settings: Settings,
    web_config: WebConfig | None = None,
    client_factory: ClientFactory | None = None,
    *,
    engine: Engine | None = None,
    procedure: ProcedureSettings | None = None,
) -> FastAPI:
    config = web_config or WebConfig()
    engine = engine or make_engine(settings.resolved_database_url, keys=settings.resolved_encryption_keys)
    create_schema(engine)
    if config.web_secret is not None:
        secret = config.web_secret.get_secret_value().encode()
    else:
        log.warning("CONDUCT_WEB_SECRET is not set: forms are signed with a random secret for this process only")
        secret = secrets.token_bytes(32)
    state = WebState(
        settings=settings,
        config=config,
        engine=engine,
        signer=Signer(secret),
        env=_template_env(),
        upload_dir=config.resolved_upload_dir(settings.data_dir),
        client_factory=client_factory or (lambda: connect(settings)),
        procedure=procedure or ProcedureSettings(),
        evidence_seal=EvidenceSeal.from_settings(settings),
    )

    app = FastAPI(
        title="Code of Conduct complaints",
        summary="Complaints that a councillor breached the Members' Code of Conduct",
        version="1",
        docs_url=None,  # Swagger UI would load from a CDN; the schema is at /openapi.json
        redoc_url=None,
        lifespan=lambda _app: _sweeping_uploads(state),
    )
    app.state.web = state
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.include_router(group_reports.router)  # the Group Leaders' yearly report pages

    # -- errors: never a stack trace, never a bare 500 for what a user sent

    def error_response(path: str, status: int, detail: str = "", headers: dict[str, str] | None = None) -> Response:
        if _is_api(path):
            return JSONResponse({"detail": detail or STATUS_TITLES.get(status, "error")}, status, headers=headers)
        return state.render(
            "error.html",
            status=status,
            headers=headers,
            title=STATUS_TITLES.get(status, "There is a problem"),
            code=status,
            detail=detail,
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        detail = exc.detail if isinstance(exc.detail, str) and exc.status_code < 500 else ""
        if exc.status_code in (404, 405):
            detail = ""
        return error_response(request.url.path, exc.status_code, detail, headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def request_invalid(request: Request, exc: RequestValidationError) -> Response:
        return error_response(request.url.path, 400, "The request could not be read")

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return error_response(request.url.path, 500, "")

    async def too_large(scope: dict[str, Any], limit: int) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        mb = max(1, limit // (1024 * 1024))
        if _is_api(scope.get("path", "")):
            body = JSONResponse({"detail": f"The body is larger than {limit} bytes"}).body
            return 413, [(b"content-type", b"application/json")], body
        html = state.env.get_template("error.html").render(
            title=STATUS_TITLES[413],
            code=413,
            detail=(
                f"Everything you send at once, including files, must be smaller than {mb} MB. "
                "Go back, remove or make smaller some of the files, and send the form again."
            ),
        )
        return 413, [(b"content-type", b"text/html; charset=utf-8")], html.encode()

    app.add_middleware(
        BodySizeLimit,
        limit_for=lambda path: config.max_api_body_bytes if _is_api(path) else config.max_request_bytes,
        too_large=too_large,
    )
    app.add_middleware(SecurityHeaders, headers=SECURITY_HEADERS)  # outermost: 413 pages get them too

    # -- pages

    @app.api_route("/", methods=["GET", "HEAD"], response_class=HTMLResponse, include_in_schema=False)
    def how_to_complain() -> HTMLResponse:
        rows, totals = timescales(state.procedure)
        return state.render(
            "index.html",
            title="How to complain about a councillor",
            timescales=rows,
            totals=totals,
            grounds=list(GROUND_TITLES.values()),
            sanctions=list(SANCTION_TITLES.values()),
            provisions=forms.provision_choices(),
            procedure=state.procedure,
        )

    @app.api_route("/complain", methods=["GET", "HEAD"], response_class=HTMLResponse, include_in_schema=False)
    def complaint_form(request: Request) -> HTMLResponse:
        roster = state.roster()
        if roster is None or not roster.councils:
            return _unavailable_form()
        return _form_page(state, request, roster, FormView())

    def _unavailable_form() -> HTMLResponse:
        return state.render(
            "error.html",
            status=503,
            title="The complaint form is not available yet",
            code=503,
            detail="The list of councillors has not been loaded. Please try again later, or write to the "
            "Monitoring Officer.",
        )

    # Posted to another address than the form's: a POST invalidates the browser's cached copy of
    # its own address, and the cached blank form (with its submission token) is what "back" shows.
    @app.post("/complaints", response_class=HTMLResponse, include_in_schema=False)
    async def submit_complaint(request: Request) -> HTMLResponse:
        retry = _rate_limited(state, request, state.form_limiter)
        if retry:
            minutes = max(1, math.ceil(retry / 60))
            return state.render(
                "error.html",
                status=429,
                headers={"retry-after": str(retry)},
                title=STATUS_TITLES[429],
                code=429,
                detail=(
                    f"Please wait {minutes} minute{'s' if minutes != 1 else ''}, then go back and send the form "
                    "again. Your answers are still in the form."
                ),
            )
        form = await request.form(max_files=100, max_fields=2000)
        roster = state.roster()
        if roster is None or not roster.councils:
            return _unavailable_form()
        answers, raw, problems = forms.read_form(form)
        token = form.get("csrf_token")
        submission = form.get("submission")
        key = state.signer.submission_key(submission if isinstance(submission, str) else None)
        if key is None or not state.signer.csrf_ok(
            request.cookies.get(CSRF_COOKIE),
            token if isinstance(token, str) else None,
            state.config.form_token_max_age_seconds,
        ):
            # A forged or expired post: nothing is stored or opened. The answers come back in
            # the form with fresh tokens, for a real complainant to check and send again.
            expired = Problem(
                "form",
                "This form has expired or could not be checked. Check your answers and send the form again.",
            )
            return _form_page(state, request, roster, FormView(raw=raw, problems=[expired]), status=403)

        kept_tokens = [t for t in form.getlist("kept_evidence") if isinstance(t, str)]
        kept = [f for f in (uploads.from_keep_token(state.signer, state.upload_dir, t) for t in kept_tokens) if f]
        kept = list({f.stored: f for f in kept}.values())[: state.config.max_files]
        new_files, evidence_problems = await _read_evidence(state, form, kept)
        problems += forms.check_answers(
            answers, roster, state.today(), require_identity=True, already={p.field for p in problems}
        )
        problems += evidence_problems
        if problems:
            # Nothing of a refused post is stored: its files are chosen again with the corrected form.
            problems += _choose_again(new_files)
            order = list(FORM_IDS)
            problems.sort(key=lambda p: order.index(p.field) if p.field in order else len(order))
            view = FormView(raw=raw, problems=problems, kept=kept)
            return _form_page(state, request, roster, view, status=422, submission=submission)

        size = sum(len(f.data) for f in new_files)
        wait = state.upload_quota.take(state.client_address(request), size) if size else 0
        if wait:
            minutes = max(1, math.ceil(wait / 60))
            too_much = Problem(
                "evidence",
                f"You have sent more files than we can take from one connection in an hour. Wait {minutes} "
                f"minute{'s' if minutes != 1 else ''} and send the form again, or send it without the files and "
                "tell us in the description that you have more evidence.",
            )
            view = FormView(raw=raw, problems=[too_much], kept=kept)
            return _form_page(
                state,
                request,
                roster,
                view,
                status=429,
                submission=submission,
                headers={"retry-after": str(RateLimiter.retry_after(wait))},
            )
        stored = await _store_evidence(state, new_files, key)
        evidence = kept + stored
        try:
            intake = forms.to_intake(answers, [f.stored for f in evidence])
        except ValidationError as err:  # a rule the checks above missed: still the user's answer
            await asyncio.to_thread(uploads.delete, state.upload_dir, stored)
            view = FormView(raw=raw, problems=forms.intake_problems(err) + _choose_again(new_files), kept=kept)
            return _form_page(state, request, roster, view, status=422, submission=submission)
        received_at = datetime.now(UTC)
        try:
            opened = await state.open(intake, roster, key, received_at)
        except IntakeRefused as err:  # the roster changed between the checks and the opening
            await asyncio.to_thread(uploads.delete, state.upload_dir, stored)
            problems = [Problem("subject_members", str(err)), *_choose_again(new_files)]
            view = FormView(raw=raw, problems=problems, kept=kept)
            return _form_page(state, request, roster, view, status=422, submission=submission)
        except TemporalUnavailable:
            view = FormView(
                raw=raw,
                kept=evidence,
                notice=(
                    "Sorry, we could not send your complaint just now because of a problem on our side. "
                    "Nothing is lost: your answers and files are below. Please send the form again in a few "
                    "minutes. If you sent it before, sending it again will not make a second complaint."
                ),
            )
            return _form_page(
                state, request, roster, view, status=503, submission=submission, headers={"retry-after": "60"}
            )
        # the reference is known now: the files are sealed again under the case's own data key
        await asyncio.to_thread(uploads.claim, state.upload_dir, evidence, opened.reference, state.evidence_seal)
        council = roster.council(intake.council)
        assert council is not None  # checked above
        due = state.assessment_due(council, received_at) if opened.new else None
        log.info("complaint %s received through the form (new: %s)", opened.reference, opened.new)
        return state.render(
            "confirmation.html",
            headers={"cache-control": "no-store"},
            title="Complaint received",
            reference=opened.reference,
            repeat=not opened.new,
            council=council,
            due=due,
            answers=_answers_summary(answers, roster, evidence),
            received=received_at.astimezone(LONDON),
        )

    app.include_router(decisions_router(state))  # /decisions and /decisions/REF (R12)

    @app.api_route("/healthz", methods=["GET", "HEAD"], include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    app.include_router(monitoring_router(state))  # /readyz and /metrics

    # -- the JSON API

    def api_error(status: int, detail: str, problems: list[Problem] = (), headers: dict[str, str] | None = None):  # type: ignore[assignment]  # noqa: ANN202
        body = forms.ApiError(
            detail=detail, errors=[forms.ApiProblem(field=forms.api_field(p), message=p.message) for p in problems]
        )
        return JSONResponse(body.model_dump(), status_code=status, headers=headers)

    error_model = {"model": forms.ApiError}

    @app.post(
        "/api/complaints",
        status_code=201,
        response_model=forms.ApiCreated,
        tags=["complaints"],
        summary="Submit a complaint",
        description=(
            "The same complaint as the web form, as JSON (`Content-Type: application/json`). Authenticate "
            f"with `{TIMESTAMP_HEADER}: <unix seconds>` and `{SIGNATURE_HEADER}: sha256=<hex>`, the HMAC-SHA256 "
            "under the shared secret of the string `{timestamp}.{Idempotency-Key}.{raw body}` (the key is the "
            "empty string when the header is absent). A timestamp more than 5 minutes from the server's time is "
            "refused, and so is the old signature of the body alone. Send an `Idempotency-Key` header to make "
            "retries safe (without one, the SHA-256 of the body is the key); keys are scoped to the sender (its "
            "secret): the same key with the same complaint always gives the same reference and one workflow "
            "(a repeat answers 201 again, with `Idempotent-Replayed: true`), the same key with another complaint "
            "is refused (422)."
        ),
        responses={
            201: {"description": "Complaint received"},
            400: {**error_model, "description": "The body is not a JSON object, or the Idempotency-Key is malformed"},
            401: {
                **error_model,
                "description": "Missing, wrong or old-scheme signature, or a timestamp more than 5 minutes off",
            },
            413: {**error_model, "description": "The body is too large"},
            415: {**error_model, "description": "The body is not sent as Content-Type: application/json"},
            422: {
                **error_model,
                "description": "The complaint has problems, listed field by field; or the Idempotency-Key was "
                "already used for a different complaint",
            },
            429: {**error_model, "description": "Too many requests from this client; see Retry-After"},
            503: {**error_model, "description": "Not configured, or Temporal unavailable; retry later"},
        },
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ApiComplaint"}}},
            }
        },
    )
    async def api_submit(
        request: Request,
        x_conduct_signature: str | None = Header(
            default=None,
            alias=SIGNATURE_HEADER,
            description='sha256=<hex HMAC-SHA256 of "{timestamp}.{Idempotency-Key}.{raw body}">',
        ),
        x_conduct_timestamp: str | None = Header(
            default=None,
            alias=TIMESTAMP_HEADER,
            description="the time of signing, in Unix seconds; refused when more than 5 minutes from the server's",
        ),
        idempotency_key: str | None = Header(
            default=None,
            alias="Idempotency-Key",
            description="up to 128 visible ASCII characters; signed (as the empty string when absent)",
        ),
    ) -> Response:
        retry = _rate_limited(state, request, state.api_limiter)
        if retry:
            return api_error(429, "Too many requests: try again later", headers={"retry-after": str(retry)})
        if config.webhook_secret is None or not config.webhook_secret.get_secret_value():
            return api_error(503, "The complaints API is not configured: set CONDUCT_WEBHOOK_SECRET")
        secret = config.webhook_secret.get_secret_value().encode()
        if idempotency_key is not None and not _IDEMPOTENCY_KEY.match(idempotency_key):
            return api_error(400, "Idempotency-Key must be 1 to 128 visible ASCII characters")
        body = await request.body()
        refusal = webhook_refusal(secret, body, x_conduct_timestamp, idempotency_key, x_conduct_signature)
        if refusal:
            return api_error(401, refusal)
        media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
        if media_type != "application/json":
            return api_error(415, "Send the complaint as JSON, with Content-Type: application/json")
        try:
            complaint = forms.ApiComplaint.model_validate_json(body)
        except ValidationError as err:
            kind, problems = forms.api_problems(err)
            if kind == "body":
                return api_error(400, problems[0].message)
            return api_error(422, "The complaint has problems", problems)
        roster = state.roster()
        if roster is None or not roster.councils:
            return api_error(503, "The roster of councillors has not been loaded: try again later")
        answers = complaint.answers()
        problems = forms.check_answers(answers, roster, state.today(), require_identity=False)
        if problems:
            return api_error(422, "The complaint has problems", problems)
        try:
            intake = forms.to_intake(answers, [])
        except ValidationError as err:
            return api_error(422, "The complaint has problems", forms.intake_problems(err))
        # Keys are the sender's own: scoped by who signed (one secret, one integrator).
        sender = integrator_id(secret)
        key = f"api:{sender}:{idempotency_key}" if idempotency_key else f"api-body:{sender}:{_sha256(body)}"
        digest = _sha256(intake.model_dump_json().encode())
        try:
            opened = await state.open(intake, roster, key, datetime.now(UTC), digest=digest)
        except IntakeRefused as err:
            return api_error(422, "The complaint has problems", [Problem("subject_members", str(err))])
        except KeyReused:
            return api_error(
                422,
                "This Idempotency-Key was already used for a different complaint: send each complaint with its "
                "own key (a retry of the same complaint keeps its key)",
            )
        except TemporalUnavailable:
            return api_error(503, "The service is unavailable: retry later", headers={"retry-after": "30"})
        log.info("complaint %s received through the API (new: %s)", opened.reference, opened.new)
        return JSONResponse(
            forms.ApiCreated(reference=opened.reference, workflow_id=opened.workflow_id).model_dump(),
            status_code=201,
            headers={} if opened.new else {"idempotent-replayed": "true"},
        )

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title, version=app.version, summary=app.summary, routes=app.routes, description=""
        )
        complaint = forms.ApiComplaint.model_json_schema(ref_template="#/components/schemas/{model}")
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.update(complaint.pop("$defs", {}))
        components["ApiComplaint"] = complaint
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


def _sha256(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


@asynccontextmanager
async def _sweeping_uploads(state: WebState) -> AsyncIterator[None]:
    """Abandoned evidence is swept when the app starts, then every `upload_sweep_interval_minutes`."""

    async def sweep() -> None:
        try:
            await asyncio.to_thread(state.sweep_uploads)
        except (OSError, OperationalError) as err:  # the next round tries again
            log.warning("evidence sweep failed: %s: %s", type(err).__name__, str(err)[:300])

    await sweep()

    async def periodically() -> None:
        while True:
            await asyncio.sleep(state.config.upload_sweep_interval_minutes * 60)
            await sweep()

    task = asyncio.create_task(periodically())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Run the web app with uvicorn (what `conduct web` calls)."""
    import uvicorn

    config = WebConfig()
    uvicorn.run(
        create_app(settings, config),
        host=host,
        port=port,
        log_level="info",
        **UVICORN_OPTIONS,  # the app reads X-Forwarded-For itself, from CONDUCT_TRUSTED_PROXIES only
    )
