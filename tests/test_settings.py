"""Configuration: every client connects the same way, by environment alone."""

from datetime import date
from pathlib import Path

import pytest

from conduct.codec import new_key_spec
from conduct.settings import Settings
from starter.client import tls_config


def test_closures_and_defaults_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CONDUCT_CLOSURES", "2026-12-29, 2026-12-30")
    monkeypatch.setenv("CONDUCT_DATA_DIR", str(tmp_path))
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.closures == [date(2026, 12, 29), date(2026, 12, 30)]
    assert settings.resolved_database_url == f"sqlite:///{tmp_path.resolve() / 'conduct.db'}"
    assert settings.resolved_outbox_dir == tmp_path / "outbox"


def test_mutual_tls_only_with_a_client_certificate(tmp_path: Path) -> None:
    assert tls_config(Settings(_env_file=None)) is False  # type: ignore[call-arg]
    (tmp_path / "client.pem").write_bytes(b"CERT")
    (tmp_path / "client.key").write_bytes(b"KEY")
    (tmp_path / "ca.pem").write_bytes(b"CA")
    tls = tls_config(
        Settings(
            _env_file=None,  # type: ignore[call-arg]
            temporal_tls_cert=tmp_path / "client.pem",
            temporal_tls_key=tmp_path / "client.key",
            temporal_tls_ca=tmp_path / "ca.pem",
        )
    )
    assert tls and (tls.client_cert, tls.client_private_key, tls.server_root_ca_cert) == (b"CERT", b"KEY", b"CA")


def test_encryption_key_from_the_environment_or_the_dev_key_file(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path)  # type: ignore[call-arg]
    assert settings.resolved_encryption_keys == ""
    spec = new_key_spec("dev-1")
    settings.key_file.write_text(spec + "\n")
    assert settings.resolved_encryption_keys == spec
    configured = new_key_spec("prod-1")
    assert (
        Settings(_env_file=None, data_dir=tmp_path, encryption_keys=configured).resolved_encryption_keys == configured
    )  # type: ignore[call-arg]
