"""Which identity provider this installation trusts: CONDUCT_OIDC_* (and the .env file).

An empty CONDUCT_OIDC_ISSUER means the embedded default, the development issuer, whose key lives
in DATA_DIR. With an issuer set, only tokens from that issuer sign anyone in, and `--as` is refused.
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

# Asymmetric algorithms only: an HMAC (HS*) token would be checked with a shared secret that the
# client knows too, and `none` is no signature at all.
ALLOWED_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")


class OidcSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CONDUCT_OIDC_", env_file=".env", extra="ignore")

    issuer: str = Field(
        default="", description="the council's OpenID Connect issuer URL; empty: the development issuer (DATA_DIR)"
    )
    client_id: str = Field(default="conduct-cli", description="the CLI's public client id at the identity provider")
    audience: str = Field(
        default="",
        description="the officers' API's audience: access tokens must name it; empty: the ID token is used, "
        "whose audience is the client id",
    )
    scope: str = Field(
        default="openid email profile offline_access",
        description="scopes `conduct login` asks for (offline_access: a refresh token)",
    )
    leeway_seconds: int = Field(default=30, ge=0, le=300, description="clock skew allowed on exp and nbf")

    @property
    def development(self) -> bool:
        return not self.issuer.strip()
