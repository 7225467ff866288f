"""The development issuer of the embedded default: no identity provider needed.

Its signing key (EC P-256, a private JWK) lives in DATA_DIR, created 0600 on first use; its issuer
URL names that folder, `conduct-dev:///abs/path/to/var`, so a token minted for one data directory
signs nobody in to another. Whoever can read DATA_DIR can mint a token for any roster officer, which
is the point of a development issuer and why a real one (CONDUCT_OIDC_ISSUER) turns it off.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from joserfc import jwt
from joserfc.jwk import ECKey, KeySet

from conduct.private_files import private_secret

DEV_KEY_FILE = "signin-dev.jwk"
DEV_AUDIENCE = "conduct"
DEV_ALGORITHM = "ES256"
DEV_TOKEN_SECONDS = 12 * 3600  # a working day; then `conduct login --dev` again


def dev_issuer_url(data_dir: Path) -> str:
    return f"conduct-dev://{data_dir.expanduser().resolve()}"


class DevIssuer:
    """Mints and publishes the development issuer's tokens (a KeySource for TokenVerifier)."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.url = dev_issuer_url(data_dir)
        self.key_file = data_dir / DEV_KEY_FILE

    def ensure_key(self) -> str:
        """The signing key (a private JWK), created 0600 if there is none; two processes racing
        end up with the same key."""

        def new_key() -> str:
            key = ECKey.generate_key("P-256", parameters={"alg": DEV_ALGORITHM, "use": "sig"})
            key.ensure_kid()
            return json.dumps(key.as_dict(private=True))

        return private_secret(self.key_file, new_key)

    def _private(self) -> ECKey:
        return ECKey.import_key(json.loads(self.ensure_key()))

    def keys(self) -> KeySet:
        public = self._private().as_dict(private=False)
        return KeySet.import_key_set({"keys": [public]})

    def refetch(self) -> KeySet | None:
        return self.keys()  # read from disk each time: a replaced key file is the rotation

    def mint(self, login: str, audience: str = DEV_AUDIENCE, seconds: int = DEV_TOKEN_SECONDS) -> str:
        """A token asserting `login` (the roster officer's login), signed with the key in DATA_DIR."""
        key = self._private()
        now = int(time.time())
        claims = {
            "iss": self.url, "sub": login, "aud": audience, "iat": now, "nbf": now, "exp": now + seconds,
            "email": login if "@" in login else None,
        }  # fmt: skip
        header = {"alg": DEV_ALGORITHM, "kid": key.kid}
        return jwt.encode(header, {k: v for k, v in claims.items() if v is not None}, key, algorithms=[DEV_ALGORITHM])
