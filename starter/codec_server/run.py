"""Running the codec endpoint: `conduct codec` (uvicorn), `conduct codec-token` (an officer's
token), and the audit log both write to (DATA_DIR/codec-audit.log, owner-only)."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import typer

from conduct.private_files import open_private_append
from conduct.settings import Settings, get_settings
from starter.codec_server import tokens
from starter.codec_server.access import role_names
from starter.codec_server.app import AUDIT_LOGGER, CodecSetupError, create_codec_app, loggable
from starter.forwarded import UVICORN_OPTIONS
from starter.officer import identify
from starter.output import Exit, err, esc, fail, handled

AUDIT_FILE = "codec-audit.log"
AUDIT_FORMAT = "%(asctime)s %(levelname)s %(message)s"
MIN_HOURS = tokens.MIN_LIFETIME.total_seconds() / 3600


def audit_log_path(settings: Settings) -> Path:
    return settings.data_dir / AUDIT_FILE


def attach_audit_log(settings: Settings, also_stderr: bool = False) -> Path:
    """Send the audit lines to DATA_DIR/codec-audit.log (and to stderr for `conduct codec`, where a
    container's log collector reads them); not to `conduct dev`'s terminal."""
    path = audit_log_path(settings)
    os.close(open_private_append(path))
    logger = logging.getLogger(AUDIT_LOGGER)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    target = str(path.resolve())
    if not any(getattr(h, "baseFilename", None) == target for h in logger.handlers):
        handler = logging.FileHandler(path, encoding="utf-8")
        handler.setFormatter(logging.Formatter(AUDIT_FORMAT))
        logger.addHandler(handler)
    if also_stderr and not any(type(h) is logging.StreamHandler for h in logger.handlers):
        stream = logging.StreamHandler(sys.stderr)
        stream.setFormatter(logging.Formatter(AUDIT_FORMAT))
        logger.addHandler(stream)
    return path


URL_FILE = "codec.url"  # where the endpoint last started: `conduct codec-token` says to paste there
_ANY_ADDRESS = ("", "0.0.0.0", "::")


def record_url(settings: Settings, host: str, port: int) -> None:
    """Note in DATA_DIR where the endpoint runs (a port other than CONDUCT_CODEC_PORT, e.g.
    `conduct dev --codec-port`); a nicety: a data directory that cannot be written is no reason
    not to serve."""
    shown = "127.0.0.1" if host in _ANY_ADDRESS else f"[{host}]" if ":" in host else host
    with contextlib.suppress(OSError):
        (settings.data_dir / URL_FILE).write_text(f"http://{shown}:{port}\n", encoding="utf-8")


def codec_url(settings: Settings) -> str:
    """The endpoint's address: where it last started with this data directory, else
    http://127.0.0.1:CONDUCT_CODEC_PORT."""
    try:
        recorded = (settings.data_dir / URL_FILE).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        recorded = ""
    if recorded.startswith(("http://", "https://")) and len(recorded.split()) == 1:
        return recorded
    return f"http://127.0.0.1:{settings.codec_port}"


def serve_command(host: str, port: int | None) -> None:
    """`conduct codec`: the endpoint on its own, for a Temporal UI that is not `conduct dev`'s."""
    settings = get_settings()
    serve(settings, host, port or settings.codec_port)


def serve(settings: Settings, host: str, port: int) -> None:
    import uvicorn

    try:
        app = create_codec_app(settings)
    except CodecSetupError as error:
        raise SystemExit(f"conduct codec: {error}") from None
    path = attach_audit_log(settings, also_stderr=True)
    record_url(settings, host, port)
    print(f"Codec endpoint  http://{host}:{port}  (sign in at /signin; audit log {path})", flush=True)
    uvicorn.run(app, host=host, port=port, log_level="warning", **UVICORN_OPTIONS)


@handled
def token_command(officer_id: str | None, hours: float) -> None:
    """`conduct codec-token`: the signed-in officer (through the officers' API; `--as` only with the
    development issuer) must be on the roster in force with a role that may read case data, or no
    token is made (exit 3)."""
    settings = get_settings()
    secret = settings.resolved_codec_secret
    if not secret:
        fail(
            Exit.ERROR,
            f"no codec secret: run `conduct dev` once (it creates {settings.codec_secret_file}) "
            "or set CONDUCT_CODEC_SECRET",
        )
    officer = identify(settings, officer_id)
    allowed = frozenset(settings.codec_roles)
    if not allowed & set(officer.roles):
        fail(
            Exit.REFUSED,
            f"{officer.id} may not read case data through the codec endpoint: it needs the role {role_names(allowed)}",
        )
    lifetime = timedelta(hours=hours)
    if not tokens.MIN_LIFETIME <= lifetime <= timedelta(hours=settings.codec_token_max_hours):
        fail(
            Exit.USAGE,
            f"--hours: between {MIN_HOURS} and {settings.codec_token_max_hours:g} (CONDUCT_CODEC_TOKEN_MAX_HOURS)",
        )
    expires_at = datetime.now(UTC) + lifetime
    token = tokens.mint(secret, officer.id, expires_at)
    attach_audit_log(settings)
    until = f"{expires_at:%Y-%m-%dT%H:%M:%SZ}"
    logging.getLogger(AUDIT_LOGGER).info("token issued officer=%s until=%s", loggable(officer.id), until)
    typer.echo(token)  # alone on stdout, so `$(conduct codec-token --as mo)` works
    url = codec_url(settings)
    err().print(
        f"codec token for {esc(officer.name)} ({esc(officer.id)}), valid until {expires_at:%Y-%m-%d %H:%M} UTC. "
        f"Temporal UI: paste it at {esc(url)}/signin. "
        f"Temporal CLI: --codec-endpoint {esc(url)} --codec-auth 'Bearer TOKEN'.",
        soft_wrap=True,
    )
