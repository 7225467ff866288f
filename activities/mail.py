"""Where letters go: a mail backend protocol and three backends.

- `OutboxBackend` (the embedded default): one .eml file per message, named after a hash of the
  message's idempotency key and written atomically, so a retried send of the same key replaces
  the same file rather than adding one.
- `SmtpBackend`: the same RFC 5322 message (`build_message`) through an SMTP relay.
- `SendGridBackend`: the SendGrid v3 mail/send API through the official `sendgrid` package.

A backend that fails raises `MailTemporaryError` (try again later: timeouts, connection errors,
SMTP 4xx, HTTP 408, 429 and 5xx) or `MailPermanentError` (the same request will fail again: SMTP
5xx, other HTTP 4xx, a rejected configuration, an address or header the mail library refuses:
`check_address` before any backend, `build_message` for the headers). The send_letter activity
lets a temporary error fail the attempt, so Temporal retries it, and turns a permanent one into
a non-retryable failure. Error messages never quote an address (`redact`).
Every message carries its idempotency key (header, and SendGrid custom_args); SMTP messages also
get a Message-ID derived from it, so a retry after a lost answer can be recognised downstream.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import smtplib
import ssl
import tempfile
from datetime import UTC, datetime
from email.errors import MessageError
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import default as DEFAULT_POLICY
from email.utils import format_datetime, parseaddr
from http import client as http_client
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import email_validator
from pydantic import BaseModel

from conduct.private_files import private_dir
from conduct.settings import Settings

ATTACHMENT_NAME = "decision-notice.txt"
KEY_HEADER = "X-Conduct-Idempotency-Key"
REFERENCE_HEADER = "X-Conduct-Reference"


class MailAttachment(BaseModel):
    """A file sent with a letter (a report's statements and documents)."""

    name: str
    content_type: str
    data: bytes


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
    attachment_name: str = ATTACHMENT_NAME
    attachment_type: str = "text/plain"
    attachments: list[MailAttachment] = []


@runtime_checkable
class MailBackend(Protocol):
    def send(self, message: OutgoingMail) -> None: ...


class MailError(Exception):
    """A message was not accepted. `status`: the provider's answer (HTTP status or SMTP reply
    code) when there was one; `body`: the start of its explanation, as given. The message (what
    Temporal records as the failure) has e-mail addresses redacted."""

    def __init__(self, message: str, status: int | None = None, body: str = "") -> None:
        super().__init__(message, status, body)
        self.message = message
        self.status = status
        self.body = body

    def __str__(self) -> str:
        return self.message


class MailTemporaryError(MailError):
    """Worth trying again later: the provider is busy, rate-limiting, down or unreachable."""


class MailPermanentError(MailError):
    """Trying again will not help: the request, the recipient or the credentials are refused."""


_ADDRESS = re.compile(r"[^\s<>()\[\]@,;:\"']+@[^\s<>()\[\]@,;:\"']+")


def redact(text: str) -> str:
    """Error messages end up in workflow history, which is not encrypted: no addresses there."""
    return _ADDRESS.sub("<address>", text)


_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")


def reason(exc: BaseException) -> str:
    """An exception in a few words, for a failure message: its class and its text with any
    address redacted and any quoted fragment (a library quoting the bad part of an address) cut."""
    text = " ".join(_QUOTED.sub("'…'", redact(str(exc))).split())
    text = text if len(text) <= 200 else text[:199] + "…"
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def check_address(address: str, whose: str = "recipient's") -> None:
    """Refuse for good an address no message can carry: what email_validator refuses, including a
    non-ASCII local part (`josé@…`), which needs SMTPUTF8 that no relay here is assumed to offer
    (the headers could not be written either). Raises MailPermanentError without the address."""
    try:
        email_validator.validate_email(address, check_deliverability=False, allow_smtputf8=False)
    except email_validator.EmailNotValidError as exc:
        raise MailPermanentError(f"the {whose} address is refused by the mail library: {reason(exc)}") from None


def _short(body: object, limit: int = 300) -> str:
    """The provider's explanation on one line: SendGrid's error messages, else the raw text."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes | bytearray) else str(body or "")
    try:
        errors = json.loads(text).get("errors")
        messages = [e.get("message") for e in errors if isinstance(e, dict) and e.get("message")]
        if messages:
            text = "; ".join(messages)
    except (ValueError, AttributeError, TypeError):
        pass
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _header(value: str) -> str:
    """Header values never carry line breaks (no header injection)."""
    return " ".join(str(value).split())


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def build_message(mail: OutgoingMail) -> EmailMessage:
    """An RFC 5322 message: multipart/alternative text + HTML, plus the optional attachment. An
    address or header the email package refuses is a MailPermanentError (the same message would
    be refused on every attempt); its text names neither the address nor the name."""
    digest = key_digest(mail.key)
    sender_name, sender_addr = parseaddr(_header(mail.sender))
    domain = sender_addr.rpartition("@")[2] or "conduct.invalid"
    message = EmailMessage()
    try:
        message["From"] = Address(display_name=sender_name, addr_spec=sender_addr) if sender_name else sender_addr
    except (MessageError, ValueError, IndexError) as exc:
        raise MailPermanentError(f"the sender's address is refused by the mail library: {reason(exc)}") from None
    try:
        message["To"] = Address(display_name=_header(mail.to_name), addr_spec=_header(mail.to))
    except (MessageError, ValueError, IndexError) as exc:
        raise MailPermanentError(f"the recipient's address is refused by the mail library: {reason(exc)}") from None
    message["Subject"] = _header(mail.subject)
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = f"<{digest[:40]}@{domain}>"
    message[KEY_HEADER] = _header(mail.key)
    message[REFERENCE_HEADER] = _header(mail.reference)
    message.set_content(mail.text, subtype="plain", charset="utf-8")
    message.add_alternative(mail.html, subtype="html", charset="utf-8")
    if mail.attachment_text is not None:
        maintype, _, subtype = mail.attachment_type.partition("/")
        if maintype != "text" or not subtype:
            raise ValueError(f"text attachments only, not {mail.attachment_type!r}")
        message.add_attachment(mail.attachment_text, subtype=subtype, charset="utf-8", filename=mail.attachment_name)
    for extra in mail.attachments:
        maintype, _, subtype = extra.content_type.partition("/")
        message.add_attachment(extra.data, maintype=maintype, subtype=subtype, filename=_header(extra.name))
    return message


def message_bytes(message: EmailMessage) -> bytes:
    """The message on the wire; a header the policy cannot encode is refused for good."""
    try:
        return message.as_bytes(policy=DEFAULT_POLICY)
    except (MessageError, UnicodeError) as exc:
        raise MailPermanentError(f"the mail library cannot encode the message: {reason(exc)}") from None


class OutboxBackend:
    """Writes each message to ``<directory>/<reference>-<sha256(key)[:32]>.eml``."""

    def __init__(self, directory: Path | str) -> None:
        self.directory = Path(directory)

    def path_for(self, mail: OutgoingMail) -> Path:
        reference = re.sub(r"[^A-Za-z0-9-]+", "_", mail.reference)[:40] or "letter"
        return self.directory / f"{reference}-{key_digest(mail.key)[:32]}.eml"

    def send(self, message: OutgoingMail) -> None:
        private_dir(self.directory)  # letters are personal data; mkstemp makes each file 0600
        data = message_bytes(build_message(message))
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


# ----------------------------------------------------------------------------- SMTP


class SmtpBackend:
    """Sends `build_message(mail)` through an SMTP relay: STARTTLS (verified against the system's
    CAs unless `ssl_context` says otherwise) and AUTH when configured. The envelope sender is
    `sender`'s address (bounces go there); the From header is the message's own sender."""

    def __init__(
        self,
        host: str,
        port: int = 25,
        username: str = "",
        password: str = "",
        starttls: bool = False,
        sender: str = "",
        *,
        timeout: float = 30.0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.starttls = starttls
        self.sender = sender
        self.timeout = timeout
        self.ssl_context = ssl_context

    def __repr__(self) -> str:
        return f"SmtpBackend({self.host}:{self.port}, starttls={self.starttls}, user={self.username or None!r})"

    def send(self, message: OutgoingMail) -> None:
        email = build_message(message)
        envelope_from = parseaddr(_header(self.sender or message.sender))[1]
        smtp = smtplib.SMTP(timeout=self.timeout)
        sent = False
        try:
            smtp.connect(self.host, self.port)
            smtp.ehlo_or_helo_if_needed()
            if self.starttls:
                smtp.starttls(context=self.ssl_context or ssl.create_default_context())
                smtp.ehlo()
            if self.username:
                smtp.login(self.username, self.password)
            smtp.send_message(email, from_addr=envelope_from, to_addrs=[_header(message.to)])
            sent = True
        # Replies often quote the recipient's address, and Temporal records an error's causes
        # too: these two are not chained (their code and redacted reply are in the message).
        except smtplib.SMTPRecipientsRefused as exc:
            code, reply = next(iter(exc.recipients.values()), (None, b""))
            raise _smtp_error(code, reply, "recipient refused") from None
        except smtplib.SMTPResponseException as exc:  # connect, helo, auth, sender, data
            raise _smtp_error(exc.smtp_code, exc.smtp_error, type(exc).__name__) from None
        except smtplib.SMTPNotSupportedError as exc:  # STARTTLS or AUTH not offered: configuration
            raise MailPermanentError(f"SMTP server {self.host}:{self.port}: {redact(str(exc))}") from exc
        except (smtplib.SMTPException, OSError) as exc:  # disconnects, timeouts, refused, TLS
            raise MailTemporaryError(f"SMTP server {self.host}:{self.port} unreachable: {redact(repr(exc))}") from exc
        finally:
            _quit(smtp, politely=sent)


def _smtp_error(code: int | None, reply: bytes | str, what: str) -> MailError:
    body = _short(reply)
    text = f"SMTP {what}: {code} {redact(body)}"
    if code is not None and 400 <= code < 500:
        return MailTemporaryError(text, code, body)
    return MailPermanentError(text, code, body)


def _quit(smtp: smtplib.SMTP, politely: bool) -> None:
    """The message is accepted once DATA is answered: a failing QUIT must not fail the send."""
    try:
        if politely:
            smtp.quit()
    except (smtplib.SMTPException, OSError):
        pass
    finally:
        smtp.close()


# ----------------------------------------------------------------------------- SendGrid

# HTTP answers worth retrying: request timeout, too many requests, any server error.
_TEMPORARY_HTTP = frozenset({408, 429})


class SendGridBackend:
    """One SendGrid v3 `POST /v3/mail/send` per message, through the official `sendgrid` package:
    one personalization (the recipient), text and HTML content, the decision notice (or a report)
    and a report's documents as attachments, and the idempotency key and reference as custom_args
    (they come back on every event webhook) and as headers."""

    def __init__(
        self, api_key: str, host: str = "https://api.sendgrid.com", sender: str = "", *, timeout: float = 30.0
    ) -> None:
        if not api_key:
            raise ValueError("SendGrid needs an API key: set CONDUCT_SENDGRID_API_KEY")
        import sendgrid  # imported here: it is slow to import and only production needs it

        self.host = host.rstrip("/")
        self.sender = sender
        self.timeout = timeout
        self.client = sendgrid.SendGridAPIClient(api_key=api_key, host=self.host)
        self.client.client.timeout = timeout  # propagated to every request of the underlying client

    def __repr__(self) -> str:
        return f"SendGridBackend({self.host})"  # never the key

    def payload(self, message: OutgoingMail) -> dict[str, Any]:
        """The request body: what SendGrid receives for `message`."""
        from sendgrid.helpers.mail import (
            Attachment,
            Content,
            CustomArg,
            Disposition,
            FileContent,
            FileName,
            FileType,
            From,
            Header,
            Mail,
            Personalization,
            To,
        )

        sender_name, sender_addr = parseaddr(_header(message.sender or self.sender))
        mail = Mail(from_email=From(sender_addr, sender_name or None), subject=_header(message.subject))
        personalization = Personalization()
        personalization.add_to(To(_header(message.to), _header(message.to_name) or None))
        mail.add_personalization(personalization)
        mail.add_content(Content("text/plain", message.text))
        mail.add_content(Content("text/html", message.html))
        if message.attachment_text is not None:
            encoded = base64.b64encode(message.attachment_text.encode("utf-8")).decode("ascii")
            mail.add_attachment(
                Attachment(
                    FileContent(encoded),
                    FileName(message.attachment_name),
                    FileType(message.attachment_type),
                    Disposition("attachment"),
                )
            )
        for extra in message.attachments:
            mail.add_attachment(
                Attachment(
                    FileContent(base64.b64encode(extra.data).decode("ascii")),
                    FileName(_header(extra.name)),
                    FileType(extra.content_type),
                    Disposition("attachment"),
                )
            )
        mail.add_custom_arg(CustomArg("conduct_key", message.key))
        mail.add_custom_arg(CustomArg("reference", message.reference))
        mail.add_header(Header(KEY_HEADER, _header(message.key)))
        mail.add_header(Header(REFERENCE_HEADER, _header(message.reference)))
        return mail.get()

    def send(self, message: OutgoingMail) -> None:
        from python_http_client.exceptions import HTTPError

        body = self.payload(message)
        try:
            response = self.client.send(body)
        except HTTPError as exc:  # urllib raised on a non-2xx answer
            raise _http_error(int(exc.status_code), exc.body) from exc
        except (OSError, http_client.HTTPException) as exc:  # refused, reset, timeout, TLS
            raise MailTemporaryError(f"SendGrid unreachable at {self.host}: {redact(repr(exc))}") from exc
        if not 200 <= int(response.status_code) < 300:  # e.g. a redirect urllib did not follow
            raise _http_error(int(response.status_code), response.body)


def _http_error(status: int, body: object) -> MailError:
    short = _short(body)
    text = f"SendGrid answered {status}: {redact(short)}"
    if status in _TEMPORARY_HTTP or status >= 500:
        return MailTemporaryError(text, status, short)
    return MailPermanentError(text, status, short)


# ----------------------------------------------------------------------------- configuration


def backend_from_settings(settings: Settings) -> MailBackend:
    if settings.mail_backend == "outbox":
        return OutboxBackend(settings.resolved_outbox_dir)
    if settings.mail_backend == "smtp":
        return SmtpBackend(
            settings.smtp_host,
            settings.smtp_port,
            settings.smtp_username,
            settings.smtp_password,
            settings.smtp_starttls,
            settings.mail_from,
        )
    if settings.mail_backend == "sendgrid":
        return SendGridBackend(settings.sendgrid_api_key, settings.sendgrid_host, settings.mail_from)
    raise ValueError(f"unknown mail backend {settings.mail_backend!r}: outbox, smtp or sendgrid")
