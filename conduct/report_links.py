"""The Group Leader's personal link to their yearly report: signed and expiring.

The link names one GroupReport workflow and the last day it works (the due date plus the grace
period), under an HMAC-SHA256 with a server secret that the worker (which sends the link) and the
web app (which checks it) share: `CONDUCT_GROUP_REPORT_SECRET`, or on one machine the file
`DATA_DIR/group-report.secret`, made on first use. Replacing the secret withdraws every link. A
link for one group's report cannot be turned into another's: the signature covers the workflow id.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from datetime import date
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from conduct.private_files import private_secret

PURPOSE = "group-report"
_TOKEN = re.compile(r"^([A-Za-z0-9_-]{1,400})\.(\d{8})\.([A-Za-z0-9_-]{43})$")


class GroupReportSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CONDUCT_GROUP_REPORT_", env_file=".env", extra="ignore")

    secret: SecretStr | None = Field(
        default=None, description="signs leaders' links; default DATA_DIR/group-report.secret"
    )
    base_url: str = Field(default="http://127.0.0.1:8000", description="the web app's address, as leaders reach it")
    grace_days: int = Field(default=14, ge=0, le=366, description="days after the due date that the link still works")
    reminder_days: Annotated[list[int], NoDecode] = Field(
        default=[14, 7, 1], description="remind the leader this many days before the due date (comma-separated)"
    )

    @field_validator("reminder_days", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        if isinstance(value, str):
            return [int(part) for part in value.split(",") if part.strip()]
        return value


def secret_file(data_dir: Path) -> Path:
    return data_dir / "group-report.secret"


def resolve_secret(config: GroupReportSettings, data_dir: Path) -> bytes:
    """The configured secret, else the one in DATA_DIR (made now, exactly once, if missing)."""
    if config.secret is not None and config.secret.get_secret_value():
        return config.secret.get_secret_value().encode()
    try:
        return private_secret(secret_file(data_dir)).encode()
    except RuntimeError as error:
        raise RuntimeError(f"{error} (CONDUCT_GROUP_REPORT_SECRET)") from None


class ReportLink(BaseModel):
    workflow_id: str
    expires_on: date


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class LinkSigner:
    def __init__(self, secret: bytes) -> None:
        if len(secret) < 16:
            raise ValueError("the group report secret must be at least 16 bytes")
        self._secret = secret

    def _mac(self, workflow_id: str, expires: str) -> str:
        message = f"{PURPOSE}\x00{workflow_id}\x00{expires}".encode()
        return _b64(hmac.new(self._secret, message, hashlib.sha256).digest())

    def token(self, link: ReportLink) -> str:
        expires = f"{link.expires_on:%Y%m%d}"
        return f"{_b64(link.workflow_id.encode())}.{expires}.{self._mac(link.workflow_id, expires)}"

    def read(self, token: str) -> ReportLink | None:
        """The link a genuine token names (expired or not), else None. Never raises on bad input."""
        found = _TOKEN.match(token or "")
        if not found:
            return None
        encoded, expires, mac = found.groups()
        try:
            workflow_id = _unb64(encoded).decode("utf-8")
            expires_on = date(int(expires[:4]), int(expires[4:6]), int(expires[6:]))
        except (ValueError, binascii.Error, UnicodeDecodeError):
            return None
        if not hmac.compare_digest(self._mac(workflow_id, expires).encode(), mac.encode()):
            return None
        return ReportLink(workflow_id=workflow_id, expires_on=expires_on)


def link_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/group-report/{token}"
