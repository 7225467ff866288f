"""Configuration from the environment (prefix CONDUCT_) and an optional .env file."""

from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CONDUCT_", env_file=".env", extra="ignore")

    data_dir: Path = Path("var")
    database_url: str = ""
    outbox_dir: Path | None = None
    mail_backend: str = Field(default="outbox", pattern="^(outbox|smtp|sendgrid)$")
    mail_from: str = "monitoring.officer@council.example"
    sendgrid_api_key: str = Field(default="", repr=False)
    sendgrid_host: str = "https://api.sendgrid.com"
    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_username: str = ""
    smtp_password: str = Field(default="", repr=False)
    smtp_starttls: bool = False
    temporal_address: str = "localhost:7233"
    temporal_namespace: str = "default"
    temporal_tls_cert: Path | None = Field(default=None, description="client certificate (PEM) for mTLS")
    temporal_tls_key: Path | None = Field(default=None, description="its private key (PEM)")
    temporal_tls_ca: Path | None = Field(default=None, description="server CA (PEM), if not a public one")
    task_queue: str = "conduct"
    templates_dir: Path = PROJECT_ROOT / "templates"
    encryption_keys: str = Field(
        default="", repr=False, description="id:base64 AES-256 keys, comma-separated; the first encrypts"
    )
    closures: Annotated[list[date], NoDecode] = Field(
        default=[], description="council closure days: ISO dates, comma-separated"
    )

    @field_validator("closures", mode="before")
    @classmethod
    def _split_dates(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'conduct.db').resolve()}"

    @property
    def key_file(self) -> Path:
        """Where `conduct dev` keeps the embedded default's encryption key (created on first run)."""
        return self.data_dir / "encryption.keys"

    @property
    def resolved_encryption_keys(self) -> str:
        if self.encryption_keys:
            return self.encryption_keys
        return self.key_file.read_text().strip() if self.key_file.exists() else ""

    @property
    def resolved_outbox_dir(self) -> Path:
        return self.outbox_dir or self.data_dir / "outbox"


@lru_cache
def get_settings() -> Settings:
    return Settings()
