"""Where letters go: a mail backend protocol and the local outbox (one .eml file per message).

The outbox names each file after a hash of the message's idempotency key, and writes it
atomically, so a retried send of the same key replaces the same file rather than adding one.
SMTP and SendGrid backends arrive with the deployment work.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import default as DEFAULT_POLICY
from email.utils import format_datetime, parseaddr
from pathlib import Path
from typing import Protocol, runtime_checkable

from pydantic import BaseModel

from conduct.settings import Settings

ATTACHMENT_NAME = "decision-notice.txt"
KEY_HEADER = "X-Conduct-Idempotency-Key"
REFERENCE_HEADER = "X-Conduct-Reference"


class OutgoingMail(BaseModel):
    key: str
    to: str
    to_name: str = ""
    subject: str
    text: str
    html: str
    sender: str
    reference: str
    attachment_text: str | None = None


@runtime_checkable
class MailBackend(Protocol):
    def send(self, message: OutgoingMail) -> None: ...


def _header(value: str) -> str:
    """Header values never carry line breaks (no header injection)."""
    return " ".join(str(value).split())


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def build_message(mail: OutgoingMail) -> EmailMessage:
    """An RFC 5322 message: multipart/alternative text + HTML, plus the optional attachment."""
    digest = key_digest(mail.key)
    sender_name, sender_addr = parseaddr(_header(mail.sender))
    domain = sender_addr.rpartition("@")[2] or "conduct.invalid"
    message = EmailMessage()
    message["From"] = Address(display_name=sender_name, addr_spec=sender_addr) if sender_name else sender_addr
    message["To"] = Address(display_name=_header(mail.to_name), addr_spec=_header(mail.to))
    message["Subject"] = _header(mail.subject)
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = f"<{digest[:40]}@{domain}>"
    message[KEY_HEADER] = _header(mail.key)
    message[REFERENCE_HEADER] = _header(mail.reference)
    message.set_content(mail.text, subtype="plain", charset="utf-8")
    message.add_alternative(mail.html, subtype="html", charset="utf-8")
    if mail.attachment_text is not None:
        message.add_attachment(mail.attachment_text, subtype="plain", charset="utf-8", filename=ATTACHMENT_NAME)
    return message


class OutboxBackend:
    """Writes each message to ``<directory>/<reference>-<sha256(key)[:32]>.eml``."""

    def __init__(self, directory: Path | str) -> None:
        self.directory = Path(directory)

    def path_for(self, mail: OutgoingMail) -> Path:
        reference = re.sub(r"[^A-Za-z0-9-]+", "_", mail.reference)[:40] or "letter"
        return self.directory / f"{reference}-{key_digest(mail.key)[:32]}.eml"

    def send(self, message: OutgoingMail) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        data = build_message(message).as_bytes(policy=DEFAULT_POLICY)
        target = self.path_for(message)
        fd, temp = tempfile.mkstemp(dir=self.directory, prefix=".", suffix=".eml.tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(temp, target)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise


def backend_from_settings(settings: Settings) -> MailBackend:
    if settings.mail_backend == "outbox":
        return OutboxBackend(settings.resolved_outbox_dir)
    raise ValueError(
        f"mail backend {settings.mail_backend!r} is not available yet: it arrives with the deployment "
        "issue. Set CONDUCT_MAIL_BACKEND=outbox to write letters to the local outbox folder."
    )
