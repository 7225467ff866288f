"""Settings of the public web app only (environment prefix CONDUCT_, like conduct.settings)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from starter.forwarded import ProxyTrust, parse_networks

MB = 1024 * 1024


class WebConfig(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CONDUCT_", env_file=".env", extra="ignore")

    webhook_secret: SecretStr | None = Field(
        default=None, description="HMAC-SHA256 secret of POST /api/complaints; unset: the API answers 503"
    )
    web_secret: SecretStr | None = Field(
        default=None,
        description=(
            "signs CSRF tokens, form submission tokens and kept uploads; unset: a random secret per process "
            "(forms then expire on restart and cannot be shared between several web processes)"
        ),
    )
    upload_dir: Path | None = Field(default=None, description="evidence files; default DATA_DIR/uploads")
    max_files: int = Field(default=5, ge=0, description="evidence files per complaint")
    max_file_bytes: int = Field(default=10 * MB, gt=0, description="size of one evidence file")
    max_request_bytes: int = Field(default=52 * MB, gt=0, description="a whole form post; larger gets 413")
    max_api_body_bytes: int = Field(default=1 * MB, gt=0, description="a whole API body; larger gets 413")
    form_rate_burst: int = Field(default=10, ge=1, description="form posts a client may make at once")
    form_rate_per_minute: float = Field(default=2.0, gt=0, description="form posts a client regains per minute")
    api_rate_burst: int = Field(default=60, ge=1, description="API posts a client may make at once")
    api_rate_per_minute: float = Field(default=60.0, gt=0, description="API posts a client regains per minute")
    trusted_proxies: str = Field(
        default="",
        description=(
            "reverse proxies (IPs or CIDRs, comma-separated) whose X-Forwarded-For is believed; default none: "
            "the peer's own address is the client's"
        ),
    )
    trust_forwarded_for: bool = Field(
        default=False,
        description="deprecated (use trusted_proxies): true trusts the immediate peer, whoever it is, as a proxy",
    )
    cookie_secure: bool = Field(default=False, description="mark the CSRF cookie Secure (set it behind HTTPS)")
    form_token_max_age_seconds: int = Field(default=24 * 3600, gt=0, description="how long a form stays valid")
    temporal_timeout_seconds: float = Field(default=10.0, gt=0, description="give up starting a workflow after")
    upload_quota_bytes_per_hour: int = Field(
        default=100 * MB, gt=0, description="evidence bytes one client address may store per hour; past it: 429"
    )
    upload_sweep_hours: float = Field(
        default=48.0,
        gt=0,
        description=(
            "evidence no complaint refers to is deleted once this old (kept files wait for a form sent again: "
            "keep it above the form's lifetime)"
        ),
    )
    upload_sweep_interval_minutes: float = Field(default=60.0, gt=0, description="how often the sweep runs")

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: str) -> str:
        parse_networks(value)  # a typo is a start-up error, not a silently open door
        return value

    def proxy_trust(self) -> ProxyTrust:
        return ProxyTrust.parse(self.trusted_proxies, self.trust_forwarded_for)

    def resolved_upload_dir(self, data_dir: Path) -> Path:
        return self.upload_dir or data_dir / "uploads"
