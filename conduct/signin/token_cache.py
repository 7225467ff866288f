"""The tokens `conduct login` obtained, in the user's config directory.

`$XDG_CONFIG_HOME/conduct/tokens.json` (default `~/.config/conduct/tokens.json`): the folder is
created 0700 and the file 0600, replaced atomically on each change. One entry per issuer, so a
token of one installation (or one dev data directory) is never presented to another.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError

from conduct.private_files import private_dir, write_private

TOKENS_FILE = "tokens.json"


class CachedTokens(BaseModel):
    issuer: str
    client_id: str
    via: Literal["device", "dev"] = Field(description="device flow (RFC 8628) or `conduct login --dev`")
    access_token: str = Field(repr=False)
    id_token: str | None = Field(default=None, repr=False)
    refresh_token: str | None = Field(default=None, repr=False)
    expires_at: datetime | None = None
    officer: str | None = Field(default=None, description="who signed in, to say so; the token decides")


class TokenFile(BaseModel):
    sessions: dict[str, CachedTokens] = {}


def config_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME", "").strip()
    return (Path(base) if base else Path.home() / ".config") / "conduct"


def tokens_path() -> Path:
    return config_dir() / TOKENS_FILE


def _read() -> TokenFile:
    path = tokens_path()
    try:
        return TokenFile.model_validate_json(path.read_bytes())
    except FileNotFoundError:
        return TokenFile()
    except ValidationError:
        return TokenFile()  # a damaged file is a signed-out user, not a crash


def load(issuer: str) -> CachedTokens | None:
    return _read().sessions.get(issuer)


def save(tokens: CachedTokens) -> Path:
    current = _read()
    current.sessions[tokens.issuer] = tokens
    private_dir(config_dir())
    write_private(tokens_path(), current.model_dump_json(indent=2).encode())
    return tokens_path()


def remove(issuer: str) -> bool:
    """Forget the tokens of `issuer`; the file goes when it holds no other. True when there were some."""
    current = _read()
    if current.sessions.pop(issuer, None) is None:
        return False
    if current.sessions:
        write_private(tokens_path(), current.model_dump_json(indent=2).encode())
    else:
        tokens_path().unlink(missing_ok=True)
    return True
