"""The officers' web view (`/officers/…` on the officers' API): the cases list and each case, to
read in a browser, signed in as with the CLI (the development issuer's officer picker, or the
council's identity provider by the device flow).

Every page runs the officer commands themselves (`cases --json`, `show --json`, `history --json`,
through starter/api/runner.py) as the signed-in officer, so the role rules, the refusals and the
exit codes are the CLI's. The view changes nothing: an action is shown as the command to type.
"""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from conduct.calendar import london_date
from conduct.vocabulary import Stage
from starter.api.identity import NotSignedIn, officer_of
from starter.api.runner import Printed, run_command
from starter.api.web import pages
from starter.api.web.session import (
    CSRF_COOKIE,
    CSRF_SECONDS,
    PENDING_COOKIE,
    SESSION_COOKIE,
    SESSION_SECONDS,
    DeviceSignIns,
    bearer_of,
    seal,
    signer,
    unseal,
)

if TYPE_CHECKING:
    from conduct.roster import Officer
    from conduct.settings import Settings
    from conduct.signin.bearer import Trust

HERE = Path(__file__).resolve().parent
STATIC = {
    "app.css": HERE.parent.parent / "web" / "static" / "app.css",  # the public pages' GOV.UK-style sheet
    "officers.css": HERE / "static" / "officers.css",
}
PREFIX = "/officers"
STATUS_OF_EXIT = {2: 400, 3: 403, 4: 404, 1: 502}
TITLE_OF_STATUS = {400: "There is a problem with the request", 401: "Sign in again", 403: "You cannot see this",
                   404: "Page not found", 502: "The case system cannot be reached"}  # fmt: skip
WAIT_SECONDS = 20.0  # how long "Continue" waits for the identity provider's approval before asking again
_NEXT = re.compile(r"^/officers/cases(/[A-Za-z0-9-]+)?(\?[A-Za-z0-9_=&%+.-]*)?$")
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}


@cache
def _templates() -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["words"] = pages.words
    env.filters["long_day"] = pages.long_day
    env.filters["when"] = pages.when
    env.globals["service_name"] = "Code of Conduct cases"
    env.globals["prefix"] = PREFIX
    return env


@cache
def command_usage() -> dict[str, str]:
    """Each command's required arguments and flags after the reference, from the CLI itself
    (` --outcome OUTCOME` for assess), so the command shown is the one the CLI asks for."""
    from starter.api.runner import conduct_command

    usage: dict[str, str] = {}
    group = conduct_command()
    for name, command in getattr(group, "commands", {}).items():
        words: list[str] = []
        # Typer carries its own copy of Click: the parameters are told apart by kind, not by class
        arguments = [p for p in command.params if p.param_type_name == "argument"]
        for argument in arguments[1:]:
            words.append(argument.metavar or argument.name.upper())
        for option in command.params:
            if option.param_type_name == "option" and option.required and not getattr(option, "hidden", False):
                flag = max(option.opts, key=len)
                words.append(flag if option.is_flag else f"{flag} {option.metavar or option.name.upper()}")
        usage[name] = "".join(f" {w}" for w in words)
    return usage


def _safe_next(value: str | None) -> str:
    return value if value and _NEXT.match(value) else f"{PREFIX}/cases"


def router(settings: Settings, trust: Trust) -> APIRouter:
    """The view's routes, for `create_api` to include."""
    routes = APIRouter(prefix=PREFIX, include_in_schema=False)
    sign = signer(settings.data_dir)
    device = DeviceSignIns()

    def secure(request: Request) -> bool:
        return request.url.scheme == "https"

    def csrf_cookie(request: Request) -> tuple[str, bool]:
        value = request.cookies.get(CSRF_COOKIE)
        return (value, False) if sign.cookie_value_ok(value) else (sign.new_cookie_value(), True)

    def render(request: Request, template: str, status: int = 200, officer: Officer | None = None,
               **context: Any) -> HTMLResponse:  # fmt: skip
        cookie, new = csrf_cookie(request)
        body = _templates().get_template(template).render(
            officer=officer, csrf=sign.csrf_token(cookie), development=trust.development, issuer=trust.issuer,
            roles=", ".join(pages.words(r.value) for r in officer.roles) if officer else "", **context,
        )  # fmt: skip
        response = HTMLResponse(body, status_code=status, headers=HEADERS)
        if new:
            response.set_cookie(CSRF_COOKIE, cookie, max_age=CSRF_SECONDS, httponly=True, samesite="strict",
                                secure=secure(request), path=PREFIX)  # fmt: skip
        return response

    def problem(request: Request, status: int, detail: str, officer: Officer | None = None) -> HTMLResponse:
        return render(request, "error.html", status, officer, title=TITLE_OF_STATUS.get(status, "Error"),
                      detail=detail, code=status)  # fmt: skip

    async def form_of(request: Request) -> dict[str, str] | None:
        """The posted form, None unless it carries this browser's CSRF token."""
        form = await request.form()
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        if not sign.csrf_ok(request.cookies.get(CSRF_COOKIE), fields.get("csrf"), CSRF_SECONDS):
            return None
        return fields

    def expired_form(request: Request) -> HTMLResponse:
        return problem(request, 400, "The form was out of date (or came from another site). Go back, refresh the "
                                     "page and try again.")  # fmt: skip

    def signed_in_response(request: Request, token: str, officer: Officer, to: str) -> Response:
        from conduct import audit

        audit.record(settings.data_dir, "sign-in", officer.id, "ok", via="officers' web view")
        response = RedirectResponse(_safe_next(to), status_code=303, headers=HEADERS)
        response.set_cookie(SESSION_COOKIE, seal(sign, token), max_age=SESSION_SECONDS, httponly=True,
                            samesite="strict", secure=secure(request), path=PREFIX)  # fmt: skip
        response.delete_cookie(PENDING_COOKIE, path=PREFIX)
        return response

    async def who(request: Request) -> Officer | Response:
        """The officer the session cookie signs in, checked now; else the page to show instead."""
        token = unseal(sign, request.cookies.get(SESSION_COOKIE))
        if token is None:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return await run_in_threadpool(sign_in_page, request, 401, target, "Sign in to see the cases.")
        try:
            officer = await run_in_threadpool(officer_of, settings, trust, f"Bearer {token}", None)
        except NotSignedIn as refused:
            if refused.status == 502:
                return problem(request, 502, refused.message)
            reason = refused.message.split("; run `conduct login`")[0]
            status = 401 if refused.expired else 403
            response = await run_in_threadpool(sign_in_page, request, status, None, f"You are signed out: {reason}.")
            response.delete_cookie(SESSION_COOKIE, path=PREFIX)
            return response
        assert officer is not None
        return officer

    def sign_in_page(request: Request, status: int = 200, next_: str | None = None, message: str = "",
                     error: str = "") -> HTMLResponse:  # fmt: skip
        from starter.roster_io import roster_in_force

        officers = []
        if trust.development:
            roster = roster_in_force(settings)
            officers = list(roster.officers) if roster else []
        return render(request, "sign_in.html", status, title="Sign in", officers=officers,
                      next=_safe_next(next_), message=message, error=error)  # fmt: skip

    async def run(argv: list[str], officer: Officer) -> Printed:
        return await run_in_threadpool(run_command, argv, officer)

    def refused(request: Request, printed: Printed, officer: Officer) -> HTMLResponse:
        status = STATUS_OF_EXIT.get(printed.exit_code, 502)
        detail = (printed.stderr.strip() or printed.stdout.strip()).removeprefix("error: ")
        return problem(request, status, detail.splitlines()[-1] if detail else "The command failed.", officer)

    # ------------------------------------------------------------------------- sign-in

    @routes.get("", response_model=None)
    @routes.get("/", response_model=None)
    async def home() -> Response:
        return RedirectResponse(f"{PREFIX}/cases", status_code=303)

    @routes.get("/static/{name}", response_model=None)
    async def static(name: str) -> Response:
        path = STATIC.get(name)
        if path is None:
            return Response("not found", status_code=404, media_type="text/plain")
        return FileResponse(path, media_type="text/css", headers={"Cache-Control": "max-age=3600"})

    @routes.get("/sign-in", response_model=None)
    async def sign_in(request: Request) -> Response:
        return await run_in_threadpool(sign_in_page, request, 200, request.query_params.get("next"))

    @routes.post("/sign-in/dev", response_model=None)
    async def sign_in_dev(request: Request) -> Response:
        from conduct.signin.roster_login import login_of
        from starter.roster_io import roster_in_force

        fields = await form_of(request)
        if fields is None:
            return expired_form(request)
        if not trust.development:
            from conduct import audit

            audit.record(settings.data_dir, "sign-in", fields.get("officer"), "refused",
                         reason="development sign-in with a real issuer", via="officers' web view")  # fmt: skip
            return problem(request, 403, f"Choosing an officer is for the development issuer only: sign in with "
                                         f"{trust.issuer}.")  # fmt: skip
        chosen = (fields.get("officer") or "").strip()
        roster = await run_in_threadpool(roster_in_force, settings)
        officer = roster.officer(chosen) if roster and chosen else None
        if officer is None:
            error = "Choose the officer to sign in as" if not chosen else f"{chosen} is not on the current roster"
            return await run_in_threadpool(sign_in_page, request, 400, fields.get("next"), "", error)
        token = trust.dev_issuer.mint(login_of(officer), trust.audience)
        try:
            signed = await run_in_threadpool(officer_of, settings, trust, f"Bearer {token}", None)
        except NotSignedIn as refusal:
            return problem(request, 403, refusal.message)
        assert signed is not None
        return signed_in_response(request, token, signed, fields.get("next") or "")

    @routes.post("/sign-in/device", response_model=None)
    async def sign_in_device(request: Request) -> Response:
        from conduct.signin.device import DeviceFlowError
        from conduct.signin.verify import IssuerUnreachable

        fields = await form_of(request)
        if fields is None:
            return expired_form(request)
        if trust.development:
            return problem(request, 400, "The development issuer has no device sign-in: choose an officer instead.")
        try:
            key, pending = await run_in_threadpool(device.start, trust)
        except (IssuerUnreachable, DeviceFlowError, RuntimeError) as error:
            return problem(request, 502, str(error))
        response = render(request, "device.html", title="Sign in", grant=pending.grant, waiting=False)
        claim = f"{key}.{sign.sign('device-sign-in', key)}"
        response.set_cookie(PENDING_COOKIE, claim, max_age=pending.grant.expires_in, httponly=True, samesite="strict",
                            secure=secure(request), path=PREFIX)  # fmt: skip
        return response

    @routes.post("/sign-in/device/continue", response_model=None)
    async def sign_in_device_continue(request: Request) -> Response:
        fields = await form_of(request)
        if fields is None:
            return expired_form(request)
        key, _, signature = (request.cookies.get(PENDING_COOKIE) or "").partition(".")
        pending = device.get(key) if key and sign.valid("device-sign-in", key, signature) else None
        if pending is None:
            return await run_in_threadpool(sign_in_page, request, 400, None,
                                           "That sign-in has expired or was never started: start again.")  # fmt: skip
        loop = asyncio.get_running_loop()
        deadline = loop.time() + WAIT_SECONDS
        while not pending.done.is_set() and loop.time() < deadline:
            await asyncio.sleep(0.2)
        if not pending.done.is_set():
            return render(request, "device.html", title="Sign in", grant=pending.grant, waiting=True)
        device.forget(key)
        token = bearer_of(trust, pending.answer) if pending.answer else None
        if token is None:
            reason = pending.error or "the identity provider gave no ID token (set CONDUCT_OIDC_AUDIENCE)"
            return await run_in_threadpool(sign_in_page, request, 403, None, f"The sign-in did not complete: {reason}.")
        try:
            officer = await run_in_threadpool(officer_of, settings, trust, f"Bearer {token}", None)
        except NotSignedIn as refusal:
            reason = refusal.message.split("; run `conduct login`")[0]
            return problem(request, refusal.status if refusal.status == 502 else 403, f"{reason}.")
        assert officer is not None
        return signed_in_response(request, token, officer, "")

    @routes.post("/sign-out", response_model=None)
    async def sign_out(request: Request) -> Response:
        from conduct import audit

        fields = await form_of(request)
        if fields is None:
            return expired_form(request)
        token = unseal(sign, request.cookies.get(SESSION_COOKIE))
        if token is not None:
            audit.record(settings.data_dir, "sign-out", None, "ok", via="officers' web view")
        response = render(request, "signed_out.html", title="You have signed out")
        response.delete_cookie(SESSION_COOKIE, path=PREFIX)
        return response

    # ------------------------------------------------------------------------- cases

    @routes.get("/cases", response_model=None)
    async def cases(request: Request) -> Response:
        officer = await who(request)
        if isinstance(officer, Response):
            return officer
        from starter.roster_io import roster_in_force

        roster = await run_in_threadpool(roster_in_force, settings)
        councils = [(c.id, c.name) for c in roster.councils] if roster else []
        filters, problems = pages.read_filters(list(request.query_params.multi_items()))
        context: dict[str, Any] = {"title": "Cases", "stages": list(Stage), "councils": councils,
                                   "council_names": dict(councils), "sorts": pages.SORT_TITLES}  # fmt: skip
        if filters is None:
            raw = dict(request.query_params)
            return render(request, "cases.html", 400, officer, filters=None, raw=raw, problems=problems,
                          cases=[], note="", **context)  # fmt: skip
        printed = await run(filters.argv(), officer)
        if printed.exit_code == 2:  # e.g. no such council: the CLI's own sentence
            detail = printed.stderr.strip().removeprefix("error: ")
            field = "council" if "council" in detail else "query"
            return render(request, "cases.html", 400, officer, filters=filters, raw=dict(request.query_params),
                          problems=[pages.Problem(field=field, message=detail)], cases=[], note="",
                          **context)  # fmt: skip
        if printed.exit_code != 0:
            return refused(request, printed, officer)
        lines = pages.sorted_cases(json.loads(printed.stdout or "[]"), filters)
        return render(request, "cases.html", officer=officer, filters=filters, raw=filters.model_dump(mode="json"),
                      problems=[], cases=lines, note=printed.stderr.strip(), **context)  # fmt: skip

    @routes.get("/cases/{reference}", response_model=None)
    async def case(request: Request, reference: str) -> Response:
        officer = await who(request)
        if isinstance(officer, Response):
            return officer
        if not pages.REFERENCE.match(reference):
            return problem(request, 400, f"{reference[:40]!r} is not a case reference: they look like WBC-2026-0001.",
                           officer)  # fmt: skip
        reference = reference.upper()
        shown, history, sent = await asyncio.gather(
            run(["show", reference, "--json"], officer),
            run(["history", reference, "--json"], officer),
            run(["letters", reference, "--json"], officer),
        )
        if shown.exit_code != 0:
            return refused(request, shown, officer)
        data = json.loads(shown.stdout)
        letters_sent = json.loads(sent.stdout)["letters"] if sent.exit_code == 0 else []
        events = json.loads(history.stdout)["events"] if history.exit_code == 0 else []
        from starter.roster_io import roster_in_force

        roster = await run_in_threadpool(roster_in_force, settings)
        today = london_date(datetime.now(UTC))
        mine = {r.value for r in officer.roles}
        return render(
            request, "case.html", officer=officer, title=reference, case=data, names=data.get("names", {}),
            council_names={c.id: c.name for c in roster.councils} if roster else {},
            timeline=pages.timeline(data.get("clocks", []), today), today=today,
            history=pages.history_lines(events), history_error=None if history.exit_code == 0 else
            (history.stderr.strip().removeprefix("error: ") or "the history could not be read"),
            allowed=pages.allowed_now(data.get("allowed", []), reference, mine, command_usage()),
            letters_sent=letters_sent,
        )  # fmt: skip

    @routes.get("/cases/{reference}/letters/{n}", response_model=None)
    async def letter(request: Request, reference: str, n: str, to: str = "") -> Response:
        """One letter as its recipient read it (`conduct letters REF --show N --to ROLE`)."""
        officer = await who(request)
        if isinstance(officer, Response):
            return officer
        if not pages.REFERENCE.match(reference) or not n.isdigit() or len(n) > 6:
            return problem(request, 400, "There is no such letter: letters are numbered from 1.", officer)
        if to and not pages.ROLE_WORD.match(to):
            return problem(request, 400, f"{to[:40]!r} is not a recipient of a letter.", officer)
        reference = reference.upper()
        argv = ["letters", reference, "--show", n, "--json", *(["--to", to] if to else [])]
        printed = await run(argv, officer)
        if printed.exit_code != 0:
            return refused(request, printed, officer)
        shown_letter = json.loads(printed.stdout)
        return render(request, "letter.html", officer=officer, title=f"{reference}: letter {n}",
                      reference=reference, letter=shown_letter)  # fmt: skip

    @routes.get("/{rest:path}", response_model=None)
    async def not_found(request: Request, rest: str) -> Response:
        return problem(request, 404, "There is no page at this address.")

    return routes
