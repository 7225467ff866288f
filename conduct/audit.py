"""The audit log: one JSON line per sign-in, action or refusal, in DATA_DIR/audit.log.

Who did (or tried) what, and what came of it, for the council's IT security officer: never a
payload, a token or a complainant's details, only ids and outcomes. The file is created 0600 in a
0700 folder by `os.open` with its mode (conduct/private_files.py), so there is no moment when
others can read it. It is opened for append only and each line goes in one `write`, so a line is
never rewritten and concurrent processes append whole lines.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from conduct.private_files import open_private_append

AUDIT_FILE = "audit.log"
Result = Literal["ok", "refused", "failed"]


class AuditLine(BaseModel):
    at: datetime
    event: str = Field(description="what was attempted: sign-in, sign-out, or an action's name")
    officer: str | None = Field(
        default=None, description="the roster id, or the login asserted when it matched no officer"
    )
    result: Result
    case: str | None = None
    action: str | None = None
    reason: str | None = Field(default=None, description="why it was refused or failed; never a token")
    via: str | None = Field(default=None, description="how: token, --as, dev issuer, device flow")


def audit_path(data_dir: Path) -> Path:
    return data_dir / AUDIT_FILE


def record(
    data_dir: Path,
    event: str,
    officer: str | None,
    result: Result,
    *,
    case: str | None = None,
    action: str | None = None,
    reason: str | None = None,
    via: str | None = None,
) -> AuditLine:
    """Append one line; raises OSError when it cannot be written (an unaudited sign-in is not allowed)."""
    line = AuditLine(
        at=datetime.now(UTC), event=event, officer=officer, result=result, case=case, action=action,
        reason=reason, via=via,
    )  # fmt: skip
    text = (line.model_dump_json(exclude_none=True) + "\n").encode()
    fd = open_private_append(audit_path(data_dir))
    try:
        os.write(fd, text)
    finally:
        os.close(fd)
    return line


def read(data_dir: Path) -> list[AuditLine]:
    """Every line so far (tests, and an officer reviewing the log)."""
    path = audit_path(data_dir)
    if not path.exists():
        return []
    return [AuditLine.model_validate_json(raw) for raw in path.read_text().splitlines() if raw.strip()]
