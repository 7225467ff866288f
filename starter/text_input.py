"""What an officer's `--file` may be: a regular file (or stdin, `-`) of UTF-8 text no longer than
CONDUCT_TEXT_MAX_KIB, and not a key or secret. Checked before anything is sent, because the text
goes into the case's Temporal history: a 3 MB file fails the case's workflow task (history has a
size limit), a device such as /dev/urandom is never read to its end, and the service's own keys
must never become part of a case (or of the letters drawn from it).

Each problem is a usage error (exit 2) in one sentence saying what to give instead."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from starter.output import Exit, fail

if TYPE_CHECKING:
    from conduct.settings import Settings

STDIN = "-"
# Control characters no text holds (tab, line feed, form feed and carriage return are text).
_BINARY = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f]")
_PEM = re.compile(r"-----BEGIN [A-Z0-9 ]*(PRIVATE KEY|SECRET KEY)-----")
_KEY_SPEC = re.compile(r"^[\w.-]+:[A-Za-z0-9+/]{43}=$")  # an encryption key: id:base64 of 32 bytes (conduct/codec.py)
_ONE_LONG_WORD = re.compile(r"^[A-Za-z0-9_+/=.-]{32,}$")  # a random secret: base64, URL-safe or hex
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.")
_TOKEN_FIELDS = re.compile(r'"(refresh_token|id_token|access_token|client_secret)"\s*:')


def secret_files(settings: Settings) -> list[Path]:
    """The service's own keys and secrets: never a text for a case, whatever they contain."""
    from conduct.attestation_keys import KEY_FILE
    from conduct.signin.token_cache import tokens_path

    data = settings.data_dir
    files = [settings.key_file, settings.codec_secret_file, data / "web.secret", data / "webhook.secret"]
    files += [data / KEY_FILE, tokens_path()]
    files += [p for p in (settings.temporal_tls_key,) if p]
    return files


def check_size(size: int, limit: int, name: str) -> None:
    if size > limit:
        fail(
            Exit.USAGE,
            f"{name} is larger than {limit // 1024} KiB, the most a text for a case may be (CONDUCT_TEXT_MAX_KIB): "
            "give a shorter text",
        )


def looks_like_secret(text: str) -> str | None:
    """What kind of secret `text` looks like, or None for an ordinary text."""
    stripped = text.strip()
    if _PEM.search(text):
        return "a private key"
    words = stripped.replace(",", " ").split()
    if words and all(_KEY_SPEC.match(word) for word in words):
        return "an encryption key"
    if _JWT.search(text) or _TOKEN_FIELDS.search(text):
        return "a sign-in token"
    word = stripped
    if _ONE_LONG_WORD.match(word) and any(c.isdigit() for c in word) and any(c.isalpha() for c in word):
        return "a secret or key"
    return None


def _read_regular(file: Path, limit: int) -> bytes:
    """At most limit + 1 bytes of a regular file. Opened without blocking (a FIFO would wait for a
    writer) and checked on the open descriptor, so what is read is what was checked."""
    try:
        fd = os.open(file, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except OSError as error:
        fail(Exit.USAGE, f"cannot read {file}: {error.strerror or error}")
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            fail(Exit.USAGE, f"{file} is not a regular file: give a text file, or --file - to read standard input")
        check_size(info.st_size, limit, str(file))
        chunks, left = [], limit + 1
        while left > 0:
            chunk = os.read(fd, min(left, 65536))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)
    except OSError as error:
        fail(Exit.USAGE, f"cannot read {file}: {error.strerror or error}")
    finally:
        os.close(fd)


def _same_file(file: Path, secrets: list[Path]) -> bool:
    try:
        info = file.stat()
    except OSError:
        return False
    for secret in secrets:
        try:
            if os.path.samestat(info, secret.stat()):
                return True
        except OSError:
            continue
    return False


def read_text_file(file: Path, limit: int, secrets: list[Path], stdin: TextIO) -> str:
    """The text of `file` (or of standard input, `-`), read with a bounded read; a usage error
    when it is too long, not a regular file, not UTF-8 text, or a key or secret."""
    if str(file) == STDIN:
        name = "standard input"
        stream = getattr(stdin, "buffer", None)
        data = stream.read(limit + 1) if stream is not None else stdin.read(limit + 1).encode("utf-8")
    else:
        name = str(file)
        if _same_file(file, secrets):
            fail(Exit.USAGE, f"{name} is one of the service's keys or secrets, not a text for a case: refused")
        data = _read_regular(file, limit)
    check_size(len(data), limit, name)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        fail(Exit.USAGE, f"{name} is not UTF-8 text: give a plain text file (saved as UTF-8)")
    if _BINARY.search(text):
        fail(Exit.USAGE, f"{name} holds control characters, so it is not plain text: give a plain text file")
    kind = looks_like_secret(text)
    if kind is not None:
        fail(Exit.USAGE, f"{name} looks like {kind}, not a text for a case: refused (give the text itself)")
    return text
