"""Settings of the public web app only (environment prefix CONDUCT_, like conduct.settings)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

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
    trust_forwarded_for: bool = Field(
        default=False,
        description="rate-limit by the last X-Forwarded-For address (only behind exactly one trusted reverse proxy)",
    )
    cookie_secure: bool = Field(default=False, description="mark the CSRF cookie Secure (set it behind HTTPS)")
    form_token_max_age_seconds: int = Field(default=24 * 3600, gt=0, description="how long a form stays valid")
    temporal_timeout_seconds: float = Field(default=10.0, gt=0, description="give up starting a workflow after")

    def resolved_upload_dir(self, data_dir: Path) -> Path:
        return self.upload_dir or data_dir / "uploads"
