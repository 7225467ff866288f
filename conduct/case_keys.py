"""Per-case data keys (envelope encryption), so that one case can be shredded on its own.

Each case gets a random AES-256 data key the first time anything of it is encrypted. The key is
stored only wrapped (AES-256-GCM under the council's key ring, the first configured key; the
case's reference is bound in as associated data, so a wrapped key copied onto another case does
not open) in the register's `case_keys` table, which every server shares. Shredding a case
overwrites its wrapped key with NULL and records the day: from then on nothing of the case that
was encrypted under that key can be read by anyone, the ring in hand or not, and no new key is
made for it. What was encrypted directly with the ring (before per-case keys) still reads.

Unwrapped keys are cached in memory, at most `CACHE_SIZE` of them and each for `CACHE_SECONDS`,
so a payload costs a dictionary lookup, not a query; a shred made by another process takes hold
here within `CACHE_SECONDS` (and at once in the process that shreds). The table is read through
the store's own engine: never call `cipher(..., create=True)` inside another transaction on the
same SQLite file (it would wait for its own lock); `ensure` before the transaction instead.
"""

from __future__ import annotations

import base64
import os
import threading
import time
from collections import OrderedDict
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Date, String, Text, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from conduct.codec import KeyError_, parse_keys
from conduct.register import Base

if TYPE_CHECKING:
    from collections.abc import Callable

    from sqlalchemy import Engine

CACHE_SIZE = 16384
CACHE_SECONDS = 300.0
_AAD = b"conduct case data key v1:"


class CaseKeyRow(Base):
    __tablename__ = "case_keys"

    reference: Mapped[str] = mapped_column(String(32), primary_key=True)
    ring_key_id: Mapped[str] = mapped_column(String(64), comment="the ring's key that wrapped it; '' once shredded")
    wrapped: Mapped[str | None] = mapped_column(Text, comment="base64(nonce | AES-GCM(data key)); NULL once shredded")
    created_at: Mapped[datetime]
    shredded_on: Mapped[date | None] = mapped_column(Date)


class CaseKeyError(KeyError_):
    """A case's data key cannot be had: none was made, or the ring key that wrapped it is not configured."""


class CaseShredded(CaseKeyError):
    """The case's data key was shredded under the retention policy: its personal data is gone."""

    def __init__(self, reference: str, on: date) -> None:
        super().__init__(f"{reference}: personal data removed on {on:%-d %B %Y} under the retention policy")
        self.reference, self.on = reference, on


class KeyStore:
    """The wrapped data keys of every case, and a bounded cache of the unwrapped ones."""

    def __init__(
        self,
        engine: Engine | Callable[[], Engine],
        ring: dict[str, bytes],
        *,
        cache_size: int = CACHE_SIZE,
        cache_seconds: float = CACHE_SECONDS,
    ) -> None:
        if not ring:
            raise CaseKeyError("no encryption key configured to wrap the cases' data keys")
        self._engine_or_factory = engine
        self._engine: Engine | None = None
        self._ring = ring
        self._active = next(iter(ring))
        self._cache: OrderedDict[str, tuple[float, AESGCM]] = OrderedDict()
        self._cache_size, self._cache_seconds = cache_size, cache_seconds
        self._lock = threading.Lock()
        self._engine_lock = threading.Lock()
        self.lookups = 0  # queries made (the cost of a miss), for tests and measurement

    @property
    def engine(self) -> Engine:
        with self._engine_lock:
            if self._engine is None:
                made = self._engine_or_factory
                self._engine = made if hasattr(made, "dialect") else made()  # type: ignore[operator]
            return self._engine  # type: ignore[return-value]

    # ------------------------------------------------------------------ cache

    def cached(self, reference: str) -> AESGCM | None:
        """The case's cipher if this process holds it and it is fresh; never any I/O."""
        with self._lock:
            found = self._cache.get(reference)
            if found is None:
                return None
            if time.monotonic() - found[0] > self._cache_seconds:
                del self._cache[reference]
                return None
            self._cache.move_to_end(reference)
            return found[1]

    def _remember(self, reference: str, cipher: AESGCM) -> AESGCM:
        with self._lock:
            self._cache[reference] = (time.monotonic(), cipher)
            self._cache.move_to_end(reference)
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return cipher

    def forget(self, reference: str) -> None:
        with self._lock:
            self._cache.pop(reference, None)

    # ------------------------------------------------------------------ keys

    def _wrap(self, reference: str, key: bytes) -> str:
        nonce = os.urandom(12)
        sealed = AESGCM(self._ring[self._active]).encrypt(nonce, key, _AAD + reference.encode())
        return base64.b64encode(nonce + sealed).decode()

    def _unwrap(self, row: CaseKeyRow) -> bytes:
        ring_key = self._ring.get(row.ring_key_id)
        if ring_key is None:
            raise CaseKeyError(
                f"the data key of {row.reference} is wrapped with key {row.ring_key_id!r}, which is not configured"
            )
        raw = base64.b64decode(row.wrapped or "")
        try:
            return AESGCM(ring_key).decrypt(raw[:12], raw[12:], _AAD + row.reference.encode())
        except InvalidTag:
            raise CaseKeyError(f"the data key of {row.reference} does not open: altered, or not ours") from None

    def cipher(self, reference: str, *, create: bool = False) -> AESGCM:
        """The case's cipher; made (and stored wrapped) first when `create` and there is none.
        Raises CaseShredded for a shredded case, CaseKeyError when there is no key and not `create`."""
        found = self.cached(reference)
        if found is not None:
            return found
        with Session(self.engine) as session:
            self.lookups += 1
            row = session.get(CaseKeyRow, reference)
            if row is None and create:
                row = CaseKeyRow(
                    reference=reference,
                    ring_key_id=self._active,
                    wrapped=self._wrap(reference, AESGCM.generate_key(bit_length=256)),
                    created_at=datetime.now(UTC),
                )
                session.add(row)
                try:
                    session.commit()
                except IntegrityError:  # another process made it first: use theirs
                    session.rollback()
                    row = session.get(CaseKeyRow, reference)
            if row is None:
                raise CaseKeyError(f"{reference} has no data key: nothing of it was encrypted under one")
            if row.shredded_on is not None or row.wrapped is None:
                raise CaseShredded(reference, row.shredded_on or date.min)
            return self._remember(reference, AESGCM(self._unwrap(row)))

    def prefetch(self, references: list[str]) -> None:
        """Unwrap the keys of many cases with one query per 500 (a report reading every case's
        sealed columns would otherwise make one query per case). Shredded and unknown ones are skipped."""
        wanted = [r for r in dict.fromkeys(references) if self.cached(r) is None][: self._cache_size]
        with Session(self.engine) as session:
            for start in range(0, len(wanted), 500):
                self.lookups += 1
                chunk = wanted[start : start + 500]
                for row in session.scalars(select(CaseKeyRow).where(CaseKeyRow.reference.in_(chunk))):
                    if row.wrapped is not None and row.shredded_on is None:
                        self._remember(row.reference, AESGCM(self._unwrap(row)))

    def ensure(self, reference: str) -> None:
        """Make sure the case has a data key (call before a transaction that seals its values)."""
        self.cipher(reference, create=True)

    def shredded_on(self, reference: str) -> date | None:
        with Session(self.engine) as session:
            return session.scalar(select(CaseKeyRow.shredded_on).where(CaseKeyRow.reference == reference))

    def shred(self, reference: str, on: date) -> bool:
        """Destroy the case's data key for good (a tombstone stays, so none is made again).
        True when shredded now; False when it already was. SQLite overwrites the deleted bytes
        (secure_delete); PostgreSQL's dead tuple goes at the next VACUUM."""
        self.forget(reference)
        with Session(self.engine) as session:
            table = CaseKeyRow.__table__
            done = session.execute(
                update(table)
                .where(table.c.reference == reference, table.c.shredded_on.is_(None))
                .values(wrapped=None, ring_key_id="", shredded_on=on)
            ).rowcount
            if not done and session.get(CaseKeyRow, reference) is None:
                session.add(CaseKeyRow(reference=reference, ring_key_id="", wrapped=None, created_at=datetime.now(UTC),
                                       shredded_on=on))  # fmt: skip
                done = 1
            session.commit()
        self.forget(reference)
        return bool(done)


# ----------------------------------------------------------------------------- one store per process

_STORES: dict[tuple[str, str], KeyStore] = {}
_STORES_LOCK = threading.Lock()


def store_for(database_url: str, keys: str) -> KeyStore | None:
    """The process's store for this register and key ring (one cache shared by every converter);
    None without keys. The engine is made, and the register migrated, on first use."""
    if not keys:
        return None
    with _STORES_LOCK:
        found = _STORES.get((database_url, keys))
        if found is None:

            def engine() -> Engine:
                from conduct.register import create_schema, make_engine

                made = make_engine(database_url, keys=keys)
                create_schema(made)
                return made

            found = _STORES[(database_url, keys)] = KeyStore(engine, parse_keys(keys))
        return found
