"""Data at rest (issue 12): the register, the data directory, uploads, the outbox, the dev
server's files and every secret are owner-only from the moment they exist, under a permissive
umask, and never written first and made private afterwards.

Reproductions: `conduct.db` was 0644 in a 0755 folder; secrets were written, then chmod'ed 0600.
The "never wider" half is observed with Python's audit hooks: every file a step creates must be
created by an `os.open` with O_CREAT|O_EXCL (whose mode is the final one), with no chmod after.
"""

from __future__ import annotations

import os
import stat
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from activities.mail import OutboxBackend, OutgoingMail
from conduct.register import create_schema, make_engine, sync_case
from conduct.settings import Settings
from starter import devserver, local
from starter.codec_server.run import attach_audit_log
from starter.web import uploads
from tests import factories
from tests.ports import free_ports

_EVENTS: list[tuple[str, tuple[Any, ...]]] | None = None


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if _EVENTS is not None and event in ("open", "os.chmod", "os.mkdir", "os.link", "os.rename"):
        _EVENTS.append((event, args))


sys.addaudithook(_hook)  # cannot be removed: it records only inside `recorded()`


@contextmanager
def recorded() -> Iterator[list[tuple[str, tuple[Any, ...]]]]:
    global _EVENTS
    events: list[tuple[str, tuple[Any, ...]]] = []
    _EVENTS = events
    try:
        yield events
    finally:
        _EVENTS = None


@pytest.fixture
def permissive_umask() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _name(value: object) -> str | None:
    return os.fsdecode(value) if isinstance(value, (str, bytes, os.PathLike)) else None


def created_privately(events: list[tuple[str, tuple[Any, ...]]], path: Path) -> None:
    """`path` came into being under its final name by an exclusive os.open or by a link/rename of
    such a file, and nothing chmod'ed it."""
    target = os.fsdecode(path)
    chmods = [args for event, args in events if event == "os.chmod" and _name(args[0]) == target]
    assert not chmods, f"{path} was chmod'ed after it was written"
    opens = [args for event, args in events if event == "open" and _name(args[0]) == target]
    moved = [args for event, args in events if event in ("os.link", "os.rename") and _name(args[1]) == target]
    exclusive = [args for args in opens if isinstance(args[2], int) and args[2] & os.O_CREAT and args[2] & os.O_EXCL]
    assert exclusive or moved, f"{path} was not created by an exclusive os.open (or linked from one): {opens}"
    for args in moved:
        source = os.fsdecode(args[0])
        assert any(event == "open" and _name(a[0]) == source and a[2] & os.O_EXCL for event, a in events), (
            f"{path} was linked from {source}, which was not created exclusively"
        )


def test_register_file_and_folder_are_private_from_the_start(tmp_path: Path, permissive_umask: None) -> None:
    """Was: conduct.db 0644 in a 0755 folder, readable by every local user."""
    data = tmp_path / "fresh" / "var"
    with recorded() as events:
        engine = make_engine(f"sqlite:///{data / 'conduct.db'}")
        create_schema(engine)
        sync_case(engine, factories.case_state())
    created_privately(events, data / "conduct.db")
    assert mode(data) == 0o700 and mode(data.parent) == 0o700
    for name in ("conduct.db", "conduct.db-wal", "conduct.db-shm"):
        assert (data / name).exists(), name
        assert mode(data / name) == 0o600, name
    engine.dispose()


def test_an_existing_world_readable_register_is_made_private(tmp_path: Path, permissive_umask: None) -> None:
    data = tmp_path / "var"
    data.mkdir(mode=0o755)
    engine = make_engine(f"sqlite:///{data / 'conduct.db'}")
    create_schema(engine)
    engine.dispose()
    (data / "conduct.db").chmod(0o644)  # as an older version left it
    data.chmod(0o755)
    make_engine(f"sqlite:///{data / 'conduct.db'}").dispose()
    assert mode(data) == 0o700 and mode(data / "conduct.db") == 0o600


def test_dev_secrets_and_keys_are_never_written_then_chmoded(tmp_path: Path, permissive_umask: None) -> None:
    """Was: `path.write_text(secret)` then `path.chmod(0o600)`: a window in which the secret was 0644."""
    settings = Settings(data_dir=tmp_path / "data", _env_file=None)  # type: ignore[call-arg]
    with recorded() as events:
        local._first_run(settings)
        web = local._dev_secret(settings, "web.secret")
        hook = local._dev_secret(settings, "webhook.secret")
    assert mode(settings.data_dir) == 0o700
    for path in (settings.key_file, settings.codec_secret_file, settings.data_dir / "web.secret"):
        created_privately(events, path)
        assert mode(path) == 0o600, path
    assert mode(settings.data_dir / "webhook.secret") == 0o600
    assert web != hook and len(web) > 30
    assert settings.resolved_encryption_keys.startswith("dev-")
    # a second run reads the same secrets back
    assert local._dev_secret(settings, "web.secret") == web
    assert not [p for p in settings.data_dir.iterdir() if p.name.endswith(".tmp")]


def test_outbox_uploads_and_audit_log_are_private(tmp_path: Path, permissive_umask: None) -> None:
    outbox = tmp_path / "data" / "outbox"
    mail = OutgoingMail(
        key="k-1",
        reference="WBC-2026-0001",
        to="harriet@example.org",
        to_name="Harriet",
        sender="mo@council.example",
        subject="Your complaint",
        text="Dear Harriet",
        html="<p>Dear Harriet</p>",
    )
    OutboxBackend(outbox).send(mail)
    assert mode(outbox) == 0o700 and mode(outbox.parent) == 0o700
    assert [mode(p) for p in outbox.iterdir()] == [0o600]
    upload_dir = tmp_path / "web" / "uploads"
    stored = uploads.store(upload_dir, b"%PDF-1.4 evidence", "pdf", "evidence.pdf")
    assert mode(upload_dir) == 0o700 and mode(upload_dir.parent) == 0o700
    assert mode(upload_dir / stored.stored) == 0o600
    settings = Settings(data_dir=tmp_path / "codec", _env_file=None)  # type: ignore[call-arg]
    log = attach_audit_log(settings)
    assert mode(log) == 0o600 and mode(log.parent) == 0o700


def test_dev_server_files_are_private(tmp_path: Path, permissive_umask: None) -> None:
    try:
        devserver.temporal_binary()
    except devserver.DevServerError as error:
        pytest.skip(str(error))
    data = tmp_path / "dev"
    port, ui_port = free_ports(2)
    server = devserver.start(data, port, ui_port)
    try:
        deadline = time.monotonic() + 20
        while not (data / devserver.DB_FILE).exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert (data / devserver.DB_FILE).exists()
    finally:
        devserver.stop(server)
    assert mode(data) == 0o700
    for path in data.iterdir():
        assert mode(path) == 0o600, path.name
