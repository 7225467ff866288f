"""Files and folders only their owner may read, made so from the first moment they exist.

Everything the servers keep under DATA_DIR is personal data or a secret: the register, uploads,
letters in the outbox, keys and secrets. Each is created with its final mode in the same system
call that creates it (`os.open(..., O_CREAT | O_EXCL, 0o600)`, `os.mkdir(path, 0o700)`), so there
is no moment, however short, when another local user could open it; writing a file and making it
0600 afterwards leaves such a window. The umask can only take bits away from these modes.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
import time
from collections.abc import Callable
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOFOLLOW", 0)


def private_dir(path: Path) -> Path:
    """`path` and any missing parents, each made 0700. An existing folder of ours that others may
    enter (made by an older version, say a 0755 data directory) loses the group and other bits."""
    path = Path(path).expanduser()
    missing: list[Path] = []
    for folder in (path, *path.parents):
        if folder.exists():
            break
        missing.append(folder)
    for folder in reversed(missing):
        with contextlib.suppress(FileExistsError):  # another process made it first
            os.mkdir(folder, DIR_MODE)
    if not missing:
        _tighten(path, DIR_MODE)
    return path


def _tighten(path: Path, mode: int) -> None:
    """Take group and other bits off an existing file or folder we own (never widen, never follow;
    a shared folder such as /tmp, with its sticky bit, is left alone)."""
    with contextlib.suppress(OSError):
        found = os.stat(path, follow_symlinks=False)
        shared = bool(found.st_mode & stat.S_ISVTX)
        if found.st_uid == os.getuid() and stat.S_IMODE(found.st_mode) & 0o077 and not shared:
            os.chmod(path, stat.S_IMODE(found.st_mode) & mode, follow_symlinks=False)


def create_private(path: Path, data: bytes = b"") -> bool:
    """Create `path` as a new 0600 file holding `data`; False (nothing written) if it exists."""
    try:
        fd = os.open(path, _CREATE, FILE_MODE)
    except FileExistsError:
        return False
    with os.fdopen(fd, "wb") as f:
        if data:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    return True


def ensure_private_file(path: Path) -> Path:
    """An empty 0600 file at `path` unless one is there (then only tightened): e.g. the SQLite
    register before SQLite opens it, whose -wal and -shm files then take the same mode."""
    private_dir(Path(path).parent)
    if not create_private(path):
        _tighten(path, FILE_MODE)
    return path


def write_private(path: Path, data: bytes) -> None:
    """Replace `path` with `data` atomically: a new 0600 file beside it, then renamed over it."""
    path = Path(path)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    if not create_private(temporary, data):
        raise FileExistsError(f"{temporary} already exists")
    try:
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def open_private_append(path: Path) -> int:
    """A descriptor appending to `path`, created 0600 if missing (a log file)."""
    private_dir(Path(path).parent)
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_CLOEXEC", 0), FILE_MODE)


def private_secret(path: Path, make: Callable[[], str] | None = None) -> str:
    """The secret kept in `path`, made now with `make` (default: 32 random bytes, URL-safe) if
    there is none. The file appears whole or not at all: it is written under a temporary name
    (0600 from the start) and linked into place, which fails if another process got there first;
    then theirs is read."""
    path = Path(path)
    private_dir(path.parent)
    if not path.exists():
        value = (make or (lambda: secrets.token_urlsafe(32)))()
        temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
        create_private(temporary, (value + "\n").encode())
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass  # another process made it first: read theirs
        except OSError:  # a file system without hard links: claim the name, then fill it
            if create_private(path, (value + "\n").encode()):
                return value
        finally:
            temporary.unlink(missing_ok=True)
    for _ in range(100):
        value = path.read_text().strip()
        if value:
            return value
        time.sleep(0.01)  # made by another process without hard links, still being written
    raise RuntimeError(f"{path} is empty: delete it, or configure the secret in the environment")
