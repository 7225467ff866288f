"""Issue 13, "Retention, shredding and subject access": evidence uploads were kept in clear under
DATA_DIR/uploads, so shredding a case's data key left its evidence readable. They are sealed with
the key ring from the moment they are written, and under the case's own data key once the
complaint is opened (conduct/evidence_seal.py)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
import pytest_asyncio
from typer.testing import CliRunner

from conduct.case_keys import KeyStore, store_for
from conduct.codec import new_key_spec, parse_keys
from conduct.evidence_seal import CASE, MAGIC, RING, EvidenceSeal, EvidenceSealError, read_evidence
from conduct.register import create_schema, make_engine
from conduct.settings import Settings, get_settings
from starter.client import workflow_id
from starter.web import uploads
from tests import factories
from tests.devserver_fixtures import Conduct
from tests.encrypted import encrypted_env
from tests.web_fixtures import Web, form_data, make_web, reference_in
from worker import build_worker
from workflows.complaint import ComplaintWorkflow

SECRET_LINE = b"Councillor Rees told me on 20 February that my planning objection would fail."
EVIDENCE = b"%PDF-1.4\n% " + SECRET_LINE + b"\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _layout(blob: bytes) -> tuple[bytes, str, bytes]:
    """(mode, id, nonce + ciphertext) of a sealed evidence file."""
    at = len(MAGIC)
    length = blob[at + 1]
    return blob[at : at + 1], blob[at + 2 : at + 2 + length].decode(), blob[at + 2 + length :]


@dataclass
class Site:
    cli: Conduct
    web: Web
    key: str


@pytest_asyncio.fixture
async def site(tmp_path: Path) -> AsyncIterator[Site]:
    """The web app, a worker and the CLI on one time-skipping server, all with the same key ring."""
    data_dir = tmp_path / "var"
    data_dir.mkdir()
    key = new_key_spec("test-evidence")
    environ = {
        "CONDUCT_DATA_DIR": str(data_dir),
        "CONDUCT_DATABASE_URL": f"sqlite:///{data_dir / 'conduct.db'}",
        "CONDUCT_TASK_QUEUE": f"conduct-evidence-{uuid.uuid4().hex[:8]}",
        "CONDUCT_OFFICER": "mo",
        "CONDUCT_OIDC_ISSUER": "",
        "CONDUCT_CLOSURES": "",
        "CONDUCT_ENCRYPTION_KEYS": key,
        "COLUMNS": "200",
    }
    with pytest.MonkeyPatch.context() as patch:
        for name, value in environ.items():
            patch.setenv(name, value)
        get_settings.cache_clear()
        settings = get_settings()
        async with encrypted_env(settings) as env:
            patch.setenv("CONDUCT_TEMPORAL_ADDRESS", env.client.service_client.config.target_host)
            environ["CONDUCT_TEMPORAL_ADDRESS"] = env.client.service_client.config.target_host
            get_settings.cache_clear()
            web, http = await make_web(settings, lambda: env.client)
            cli = Conduct(env, settings, environ, factories.roster(), CliRunner())
            async with build_worker(env.client, settings, fail_fast=True), http:
                yield Site(cli=cli, web=web, key=key)
        get_settings.cache_clear()
    get_settings.cache_clear()


async def test_evidence_from_the_form_is_sealed_under_the_case_key_and_shredded_with_it(
    site: Site, tmp_path: Path
) -> None:
    settings, client = site.cli.settings, site.cli.env.client
    files = [("evidence", ("minutes.pdf", EVIDENCE, "application/pdf"))]
    response = await site.web.post_form(form_data(), files=files)
    assert response.status_code == 200, response.text
    reference = reference_in(response.text)
    assert reference is not None
    state = await client.get_workflow_handle(workflow_id(reference)).query(ComplaintWorkflow.status)
    [stored] = state.intake.evidence
    upload_dir = settings.data_dir / "uploads"
    path = upload_dir / stored

    # not readable in clear on disk: neither the file nor the note beside it holds the evidence
    blob = path.read_bytes()
    assert SECRET_LINE not in blob and EVIDENCE not in blob and blob.startswith(MAGIC)
    assert SECRET_LINE not in (upload_dir / f"{stored}.json").read_bytes()
    # the case is open: the file is sealed under the case's own data key, which the ring alone does not open
    mode, ident, sealed = _layout(blob)
    assert (mode, ident) == (CASE, reference)
    ring = parse_keys(site.key)
    with pytest.raises(EvidenceSealError, match="data key"):
        EvidenceSeal(ring).open(stored, blob)
    key_id = next(iter(ring)).encode()
    as_if_ring = MAGIC + RING + bytes([len(key_id)]) + key_id + sealed  # the same ciphertext, tried with the ring
    with pytest.raises(EvidenceSealError, match="does not open"):
        EvidenceSeal(ring).open(stored, as_if_ring)

    # `conduct evidence --save` gives back the bytes the complainant sent, under their name
    listed = await site.cli.json("evidence", reference)
    assert listed == [{"file": stored, "name": "minutes.pdf", "type": "PDF", "size": len(EVIDENCE)}]
    out = tmp_path / "saved"
    out.mkdir()
    await site.cli.ok("evidence", reference, "--save", "1", "--to", str(out))
    assert (out / "minutes.pdf").read_bytes() == EVIDENCE

    # once the case's key is shredded, a copy of the file that survived opens for nobody, the ring in hand
    copy = path.read_bytes()
    store_for(settings.resolved_database_url, settings.resolved_encryption_keys).shred(reference, date(2035, 12, 1))
    with pytest.raises(EvidenceSealError, match="personal data removed on 1 December 2035"):
        read_evidence(path, EvidenceSeal.from_settings(settings))
    engine = make_engine(settings.resolved_database_url, keys=site.key)
    try:
        fresh = EvidenceSeal(ring, KeyStore(engine, ring))  # no cache: the register's key row is read
        with pytest.raises(EvidenceSealError, match="personal data removed"):
            fresh.open(stored, copy)
    finally:
        engine.dispose()


def test_an_upload_is_sealed_with_the_ring_until_its_case_is_known(tmp_path: Path) -> None:
    key = new_key_spec("test-ring")
    database = f"sqlite:///{tmp_path / 'conduct.db'}"
    create_schema(make_engine(database, keys=key))
    settings = Settings(data_dir=tmp_path, database_url=database, encryption_keys=key, _env_file=None)  # type: ignore[call-arg]
    seal = EvidenceSeal.from_settings(settings)
    assert seal is not None
    upload_dir = tmp_path / "uploads"
    stored = uploads.store(upload_dir, EVIDENCE, "pdf", "minutes.pdf", "form:1", seal)
    path = upload_dir / stored.stored
    blob = path.read_bytes()
    assert SECRET_LINE not in blob and _layout(blob)[0] == RING and stored.size == len(EVIDENCE)
    assert read_evidence(path, seal) == EVIDENCE
    with pytest.raises(EvidenceSealError, match="holds no key"):
        read_evidence(path, None)
    renamed = upload_dir / f"{'a' * 32}.pdf"
    renamed.write_bytes(blob)
    with pytest.raises(EvidenceSealError, match="does not open"):
        read_evidence(renamed, seal)  # the stored name is bound in

    uploads.claim(upload_dir, [stored], "WBC-2026-0042", seal)
    assert _layout(path.read_bytes())[:2] == (CASE, "WBC-2026-0042")
    assert read_evidence(path, seal) == EVIDENCE
    assert (path.stat().st_mode & 0o777) == 0o600
    uploads.claim(upload_dir, [stored], "WBC-2026-0042", seal)  # again: left as it is
    assert read_evidence(path, seal) == EVIDENCE

    # a file stored in clear before sealing is read as it is, and sealed when its case claims it
    old = upload_dir / f"{'b' * 32}.txt"
    old.write_bytes(b"old evidence in clear")
    assert read_evidence(old, seal) == read_evidence(old, None) == b"old evidence in clear"
    uploads.claim(upload_dir, [uploads.StoredFile(stored=old.name, original="old.txt", size=21)], "WBC-2026-0043", seal)
    assert b"old evidence" not in old.read_bytes() and read_evidence(old, seal) == b"old evidence in clear"
