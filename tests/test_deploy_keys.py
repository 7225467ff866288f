"""The deployment's key scripts, run for real with openssl: deploy/tls/make-certs.sh (mTLS to
Temporal) and deploy/make-attestation-key.sh (the API's signing key, the workers' public key).

The certificates are checked with the Temporal SDK's own TLS client (the Rust core's rustls, as
the worker, web app and API connect) against a TLS server that, like Temporal with
TEMPORAL_TLS_REQUIRE_CLIENT_AUTH, asks for a client certificate signed by the CA."""

from __future__ import annotations

import asyncio
import base64
import shutil
import socket
import ssl
import subprocess
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import BaseModel
from temporalio.service import ConnectConfig, ServiceClient, TLSConfig

from conduct import attestation_keys
from conduct.settings import PROJECT_ROOT, Settings

MAKE_CERTS = PROJECT_ROOT / "deploy" / "tls" / "make-certs.sh"
MAKE_ATTESTATION_KEY = PROJECT_ROOT / "deploy" / "make-attestation-key.sh"
CLIENTS = ("worker", "web", "api", "ui", "admin-tools")

pytestmark = pytest.mark.skipif(
    shutil.which("openssl") is None, reason="openssl not installed: apt-get install openssl"
)


def _run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(arg) for arg in args], capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("tls") / "certs"
    made = _run(MAKE_CERTS, "--out", out)
    assert made.returncode == 0, made.stderr
    return out


def _serial(path: Path) -> str:
    return _run("openssl", "x509", "-in", path, "-noout", "-serial").stdout


# ----------------------------------------------------------------------------- files


def test_every_file_is_private_and_the_ca_key_stays_apart(certs: Path) -> None:
    assert certs.stat().st_mode & 0o777 == 0o700
    for path in certs.rglob("*"):
        assert path.stat().st_mode & 0o777 == (0o700 if path.is_dir() else 0o600), path
    assert sorted(path.name for path in certs.iterdir()) == sorted(["ca", "temporal", *CLIENTS])
    for name in ("temporal", *CLIENTS):
        assert sorted(path.name for path in (certs / name).iterdir()) == ["ca.pem", "tls.key", "tls.pem"]
        assert (certs / name / "ca.pem").read_bytes() == (certs / "ca" / "ca.pem").read_bytes()
    assert [path.relative_to(certs) for path in certs.rglob("ca.key")] == [Path("ca/ca.key")]
    assert not list(certs.glob(".work.*"))  # the scratch directory is gone


def test_each_certificate_is_for_its_purpose(certs: Path) -> None:
    ca = certs / "ca" / "ca.pem"
    for name in CLIENTS:
        client = certs / name / "tls.pem"
        assert _run("openssl", "verify", "-CAfile", ca, "-purpose", "sslclient", client).returncode == 0, name
        # A client certificate cannot stand in for Temporal.
        assert _run("openssl", "verify", "-CAfile", ca, "-purpose", "sslserver", client).returncode != 0, name
    server = certs / "temporal" / "tls.pem"
    # The server's own components present it as a client too.
    for purpose in ("sslserver", "sslclient"):
        assert _run("openssl", "verify", "-CAfile", ca, "-purpose", purpose, server).returncode == 0, purpose
    text = _run("openssl", "x509", "-in", server, "-noout", "-ext", "subjectAltName").stdout
    assert "DNS:temporal" in text


# ----------------------------------------------------------------------------- the SDK's handshake


class _RequiresClientCertificates:
    """A TLS listener that, like Temporal's frontend with client auth required, takes only
    clients whose certificate the CA signed, and notes who completed the handshake."""

    def __init__(self, server: Path, ca: Path) -> None:
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(server / "tls.pem", server / "tls.key")
        self.context.load_verify_locations(ca)
        self.context.verify_mode = ssl.CERT_REQUIRED
        self.context.set_alpn_protocols(["h2"])
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        self.accepted: list[str] = []
        self.refused: list[str] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self.socket.accept()
            except OSError:
                return
            try:
                with self.context.wrap_socket(connection, server_side=True) as tls:
                    subject = dict(pair[0] for pair in tls.getpeercert()["subject"])
                    self.accepted.append(subject["commonName"])
            except (ssl.SSLError, OSError) as error:
                self.refused.append(type(error).__name__)

    def close(self) -> None:
        self.socket.close()


def _sdk_connect(port: int, client: Path, domain: str) -> str:
    """What the SDK's client says when it connects with `client`'s files (the listener speaks no
    gRPC, so after a good handshake the first call fails: that is not a TLS error)."""
    tls = TLSConfig(
        client_cert=(client / "tls.pem").read_bytes(),
        client_private_key=(client / "tls.key").read_bytes(),
        server_root_ca_cert=(client / "ca.pem").read_bytes(),
        domain=domain,
    )

    async def connect() -> str:
        try:
            await asyncio.wait_for(
                ServiceClient.connect(ConnectConfig(target_host=f"127.0.0.1:{port}", tls=tls, lazy=False)), 20
            )
        except Exception as error:  # noqa: BLE001 - the message is what the test reads
            return str(error)
        return "connected"

    return asyncio.run(connect())


def test_the_sdk_completes_mtls_with_the_servers_certificates(certs: Path) -> None:
    listener = _RequiresClientCertificates(certs / "temporal", certs / "ca" / "ca.pem")
    try:
        for name in ("worker", "web", "api"):
            said = _sdk_connect(listener.port, certs / name, "temporal")
            assert "InvalidCertificate" not in said and "certificate" not in said.lower(), said
        assert listener.accepted[:1] == ["conduct-worker"]
        assert {"conduct-worker", "conduct-web", "conduct-api"} <= set(listener.accepted)
        # The client checks the server's name: `temporal`, the compose service's host name.
        said = _sdk_connect(listener.port, certs / "worker", "temporal.elsewhere")
        assert "NotValidForName" in said, said
    finally:
        listener.close()


def test_a_certificate_from_another_ca_is_refused(certs: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    assert _run(MAKE_CERTS, "--out", other, "worker").returncode == 0
    listener = _RequiresClientCertificates(certs / "temporal", certs / "ca" / "ca.pem")
    try:
        stranger = tmp_path / "stranger"
        stranger.mkdir()
        shutil.copy(other / "worker" / "tls.pem", stranger / "tls.pem")
        shutil.copy(other / "worker" / "tls.key", stranger / "tls.key")
        shutil.copy(certs / "worker" / "ca.pem", stranger / "ca.pem")  # it trusts the real server
        _sdk_connect(listener.port, stranger, "temporal")
        for _ in range(50):  # the listener notes the refusal on its own thread
            if listener.refused:
                break
            time.sleep(0.1)
        assert listener.refused
        assert listener.accepted == []
    finally:
        listener.close()


# ----------------------------------------------------------------------------- re-issuing


def test_re_issuing_keeps_the_ca_and_touches_only_the_names_given(tmp_path: Path) -> None:
    out = tmp_path / "certs"
    assert _run(MAKE_CERTS, "--out", out, "--days", "30").returncode == 0
    ca = (out / "ca" / "ca.pem").read_bytes()
    before = {name: _serial(out / name / "tls.pem") for name in ("temporal", *CLIENTS)}

    again = _run(MAKE_CERTS, "--out", out, "web")
    assert again.returncode == 0, again.stderr
    assert (out / "ca" / "ca.pem").read_bytes() == ca
    after = {name: _serial(out / name / "tls.pem") for name in ("temporal", *CLIENTS)}
    assert [name for name in before if before[name] != after[name]] == ["web"]
    assert (out / "web" / "tls.key").stat().st_mode & 0o777 == 0o600

    # A new CA is every service's restart: only with --force, and then everything is re-issued.
    refused = _run(MAKE_CERTS, "--out", out, "--new-ca")
    assert refused.returncode == 2 and "--force" in refused.stderr
    assert (out / "ca" / "ca.pem").read_bytes() == ca
    replaced = _run(MAKE_CERTS, "--out", out, "--new-ca", "--force", "web")
    assert replaced.returncode == 0, replaced.stderr
    assert (out / "ca" / "ca.pem").read_bytes() != ca
    for name in ("temporal", *CLIENTS):
        verify = _run("openssl", "verify", "-CAfile", out / "ca" / "ca.pem", out / name / "tls.pem")
        assert verify.returncode == 0, name


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--days", "soon"], "--days takes a whole number"),
        (["--days", "0"], "--days must be at least 1"),
        (["--colour"], "unknown option --colour"),
        (["codec"], "no certificate is made for 'codec'"),
        (["--out"], "usage:"),
    ],
)
def test_make_certs_usage_errors(tmp_path: Path, args: list[str], says: str) -> None:
    run = _run(MAKE_CERTS, *(["--out", tmp_path / "c"] if args != ["--out"] else []), *args)
    assert run.returncode == 2
    assert says in run.stderr
    assert not (tmp_path / "c").exists()


# ----------------------------------------------------------------------------- the attestation key


class _Payload(BaseModel):
    officer: str
    text: str
    attestation: object | None = None


def test_attestation_key_script_gives_the_api_and_the_workers_one_pair(monkeypatch: pytest.MonkeyPatch) -> None:
    run = _run(MAKE_ATTESTATION_KEY)
    assert run.returncode == 0, run.stderr
    lines = dict(line.split("=", 1) for line in run.stdout.splitlines())
    assert set(lines) == {"CONDUCT_ATTESTATION_KEY", "CONDUCT_ATTESTATION_PUBLIC_KEYS"}
    assert len(base64.b64decode(lines["CONDUCT_ATTESTATION_KEY"])) == 32

    for name in lines:
        monkeypatch.delenv(name, raising=False)
    api = Settings(_env_file=None, attestation_key=lines["CONDUCT_ATTESTATION_KEY"], data_dir=Path("/nonexistent"))
    worker = Settings(
        _env_file=None, attestation_public_keys=lines["CONDUCT_ATTESTATION_PUBLIC_KEYS"], data_dir=Path("/nonexistent")
    )
    key_id, _ = attestation_keys.signing_key(api)
    trusted = attestation_keys.public_keys(worker)
    assert list(trusted) == [key_id]  # the script's key id is conduct's own

    signed = attestation_keys.attest(api, "COC-2026-001", "comment", _Payload(officer="mo", text="x"), "u-1")
    attestation = signed.attestation
    trusted[attestation.key_id].verify(base64.urlsafe_b64decode(attestation.signature), attestation.message())
    assert attestation.issued_at <= datetime.now(UTC)

    # Two runs, two keys.
    assert _run(MAKE_ATTESTATION_KEY).stdout != run.stdout
    assert _run(MAKE_ATTESTATION_KEY, "extra").returncode == 2
