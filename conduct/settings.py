"""Configuration from the environment (prefix CONDUCT_) and an optional .env file."""

from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from conduct.vocabulary import Role

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
    action_wait_seconds: float = Field(
        default=20,
        gt=0,
        description="how long an officer action from the CLI waits for the case to be accepted and acted upon; "
        "past it the command says which step the case is waiting on and exits 1 (the action still completes)",
    )
    case_task_timeout_seconds: float = Field(
        default=30,
        ge=10,
        le=120,
        description="a new case's workflow task time limit (Temporal's default is 10 s): a case leading 1,000 "
        "others replays in seconds once evicted, near 10 s under load (docs/performance.md); a longer limit only "
        "delays the retry of a task whose worker died while running it",
    )
    worker_workflow_tasks: int = Field(
        default=8,
        ge=2,
        description="workflow tasks one worker runs at once; they are CPU-bound under the GIL, and more only "
        "makes each slower (a restarted worker replaying every case at once overran the task timeout)",
    )
    worker_cached_cases: int = Field(
        default=500,
        ge=0,
        description="cases kept in the worker's memory between tasks (about 0.45 MB each); a miss costs a replay",
    )
    worker_activities: int = Field(
        default=8,
        ge=1,
        description="activities one worker runs at once, and the size of the thread pool their blocking work "
        "(mail, SQL, templates) runs in: never more slots than threads",
    )
    worker_shutdown_seconds: float = Field(
        default=30,
        ge=0,
        description="on shutdown (a deploy), how long running activities may finish, so a send is not cut in half",
    )
    worker_versioning: bool = Field(
        default=False, description="Worker Versioning: the worker announces DEPLOYMENT_NAME and BUILD_ID"
    )
    deployment_name: str = Field(default="conduct", description="Worker Deployment name (Worker Versioning)")
    build_id: str = Field(
        default="", description="build id of this worker (Worker Versioning); default: the checkout's git sha"
    )
    worker_metrics_port: int = Field(
        default=0,
        ge=0,
        le=65535,
        description="port of the worker's Prometheus endpoint (/metrics: SDK telemetry and letters sent and "
        "failed); 0 = no endpoint",
    )
    worker_metrics_host: str = Field(
        default="127.0.0.1", description="address the worker's metrics endpoint binds to (0.0.0.0 in a container)"
    )
    metrics_token: str = Field(
        default="",
        repr=False,
        description="bearer token the web app's /metrics asks for (Prometheus `authorization`); empty = open",
    )
    templates_dir: Path = PROJECT_ROOT / "templates"
    encryption_keys: str = Field(
        default="", repr=False, description="id:base64 AES-256 keys, comma-separated; the first encrypts"
    )
    refuse_plaintext: bool = Field(
        default=True,
        description="with encryption keys, refuse payloads that arrive in clear (input sent without the keys, "
        "e.g. a bare `temporal workflow update`), except in the cases of CONDUCT_PLAINTEXT_CASES",
    )
    plaintext_cases: Annotated[list[str], NoDecode] = Field(
        default=[],
        description="cases (references or workflow ids) recorded before encryption was switched on, whose "
        "histories may hold payloads in clear, comma-separated",
    )
    closures: Annotated[list[date], NoDecode] = Field(
        default=[], description="council closure days: ISO dates, comma-separated"
    )
    codec_secret: str = Field(
        default="", repr=False, description="HMAC secret of officers' codec tokens; default DATA_DIR/codec.secret"
    )
    codec_token_max_hours: float = Field(
        default=12,
        gt=0,
        le=744,
        description="the longest a codec token may still have to run; checked on every request, so a token "
        "made for longer (with the secret) is refused",
    )
    codec_port: int = Field(default=8081, ge=1, le=65535, description="port of the codec endpoint (`conduct codec`)")
    text_max_kib: int = Field(
        default=256,
        ge=1,
        le=1024,
        description="the longest text an officer's action may carry (--text, --file), in KiB: the case keeps it "
        "in its history, which has a size limit",
    )
    attachment_max_kib: int = Field(
        default=10240,
        ge=1,
        description="the largest statement or document a report may carry (--attach), in KiB",
    )
    attachments_max_kib: int = Field(
        default=20480,
        ge=1,
        description="all the documents of one report together, in KiB: they go with every letter of the report",
    )
    codec_ui_origins: Annotated[list[str], NoDecode] = Field(
        default=["http://localhost:8233", "http://127.0.0.1:8233"],
        description="origins of the Temporal UI allowed to call the codec endpoint (CORS), comma-separated",
    )
    codec_roles: Annotated[list[Role], NoDecode] = Field(
        default=[Role.MONITORING_OFFICER, Role.DEPUTY_MONITORING_OFFICER],
        description="officer roles that may read decoded case data through the codec endpoint, comma-separated",
    )
    attestation_key: str = Field(
        default="",
        repr=False,
        description="the signing key of officer actions (the officers' service only): base64 of a raw Ed25519 "
        "private key; default: DATA_DIR/attestation.key, made on first use",
    )
    attestation_public_keys: str = Field(
        default="",
        description="public keys the workers accept officer actions under, `id:base64,id:base64` (rotation: "
        "list the new and the old); default: the one of DATA_DIR/attestation.key",
    )

    @field_validator("closures", mode="before")
    @classmethod
    def _split_dates(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("plaintext_cases", mode="before")
    @classmethod
    def _split_cases(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("codec_ui_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        """An origin has no path, so `http://host:8233/` is taken as `http://host:8233`."""
        if isinstance(value, str):
            return [part.strip().rstrip("/") for part in value.split(",") if part.strip()]
        return value

    @field_validator("codec_roles", mode="before")
    @classmethod
    def _split_roles(cls, value: object) -> object:
        """Role names as the workflow spells them or as the roster CSV does (`deputy-monitoring-officer`)."""
        if isinstance(value, str):
            return [part.strip().replace("-", "_") for part in value.split(",") if part.strip()]
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
    def codec_secret_file(self) -> Path:
        """Where `conduct dev` keeps the codec token secret (created on first run)."""
        return self.data_dir / "codec.secret"

    @property
    def resolved_codec_secret(self) -> str:
        if self.codec_secret:
            return self.codec_secret
        return self.codec_secret_file.read_text().strip() if self.codec_secret_file.exists() else ""

    @property
    def resolved_outbox_dir(self) -> Path:
        return self.outbox_dir or self.data_dir / "outbox"


@lru_cache
def get_settings() -> Settings:
    return Settings()
