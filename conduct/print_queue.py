"""The print queue (issue 14, "Channels and receipt"): letters to parties without e-mail, rendered to
PDF by the letter activity, waiting to be printed and posted (`conduct print-queue`).

One row per letter, by its idempotency key, so a retried activity queues it once. The PDF itself
is sealed in the case's document store (conduct/document_store.py, like a report's documents:
never kept in clear); the row holds its reference, and the recipient's name and address sealed
under the case's key (conduct/sealed_columns.py). `posted_on` is recorded by `--mark-posted`,
which also tells the case (conduct/postal.py), so that a clock counting from the letter starts.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel
from sqlalchemy import JSON, Date, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from conduct.documents import DocumentRef
from conduct.letters import LetterReceipt, LetterTemplate
from conduct.register import Base, Bind, _ensure_key, _transaction, _with_session
from conduct.sealed_columns import CaseText, EncryptedText
from conduct.vocabulary import RecipientRole


class PrintQueueRow(Base):
    __tablename__ = "print_queue"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(400), unique=True, comment="the letter's idempotency key")
    reference: Mapped[str] = mapped_column(String(32), index=True)
    template: Mapped[str] = mapped_column(String(60))
    role: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(EncryptedText("print_queue.name"), default="")
    address: Mapped[str] = mapped_column(EncryptedText("print_queue.address"), default="")
    subject: Mapped[str] = mapped_column(String(500), default="")
    document: Mapped[dict[str, object]] = mapped_column(JSON, comment="the sealed PDF (conduct.documents.DocumentRef)")
    queued_at: Mapped[datetime]
    posted_on: Mapped[date | None] = mapped_column(Date, index=True)
    posted_by: Mapped[str | None] = mapped_column(String(64))


class QueuedLetter(BaseModel):
    id: int
    key: str
    reference: str
    template: LetterTemplate
    role: RecipientRole
    name: str
    address: str
    subject: str
    document: DocumentRef
    queued_at: datetime
    posted_on: date | None = None
    posted_by: str | None = None

    def receipt(self) -> LetterReceipt:
        return LetterReceipt(
            key=self.key, template=self.template, to=f"post: {self.name}", role=self.role, subject=self.subject,
            sent_at=self.queued_at, duplicate=True, by_post=True,
        )  # fmt: skip


def _letter(row: PrintQueueRow) -> QueuedLetter:
    return QueuedLetter(
        id=row.id, key=row.key, reference=row.reference, template=LetterTemplate(row.template),
        role=RecipientRole(row.role), name=row.name, address=row.address, subject=row.subject,
        document=DocumentRef.model_validate(row.document), queued_at=row.queued_at, posted_on=row.posted_on,
        posted_by=row.posted_by,
    )  # fmt: skip


def queued(bind: Bind, key: str) -> QueuedLetter | None:
    def read(s: Session) -> QueuedLetter | None:
        row = s.scalar(select(PrintQueueRow).where(PrintQueueRow.key == key))
        return None if row is None else _letter(row)

    return _with_session(bind, read)


def enqueue(bind: Bind, letter: QueuedLetter) -> QueuedLetter:
    """Queue `letter` (its `id` is ignored); the one already queued under its key, if any."""
    reference = letter.reference

    def work(s: Session) -> QueuedLetter:
        row = s.scalar(select(PrintQueueRow).where(PrintQueueRow.key == letter.key))
        if row is None:
            row = PrintQueueRow(
                key=letter.key, reference=reference, template=letter.template.value, role=letter.role.value,
                name=CaseText(letter.name, reference), address=CaseText(letter.address, reference),
                subject=letter.subject, document=letter.document.model_dump(mode="json"), queued_at=letter.queued_at,
            )  # fmt: skip
            s.add(row)
            s.flush()  # a concurrent insert of the same key fails here; the retry then finds it
        return _letter(row)

    _ensure_key(bind, reference)
    return _transaction(bind, work)


def letters(bind: Bind, posted: bool | None = False, reference: str | None = None) -> list[QueuedLetter]:
    """Oldest first; `posted` False: waiting to be posted, True: posted, None: all."""

    def read(s: Session) -> list[QueuedLetter]:
        query = select(PrintQueueRow).order_by(PrintQueueRow.queued_at, PrintQueueRow.id)
        if posted is not None:
            query = query.where(PrintQueueRow.posted_on.is_not(None) if posted else PrintQueueRow.posted_on.is_(None))
        if reference is not None:
            query = query.where(PrintQueueRow.reference == reference)
        return [_letter(row) for row in s.scalars(query)]

    return _with_session(bind, read)


def letter(bind: Bind, letter_id: int) -> QueuedLetter | None:
    def read(s: Session) -> QueuedLetter | None:
        row = s.get(PrintQueueRow, letter_id)
        return None if row is None else _letter(row)

    return _with_session(bind, read)


def mark_posted(bind: Bind, letter_id: int, on: date, officer: str) -> QueuedLetter:
    """Record the posting (a second marking keeps the first day)."""

    def work(s: Session) -> QueuedLetter:
        row = s.get(PrintQueueRow, letter_id)
        assert row is not None  # the caller looked it up
        if row.posted_on is None:
            row.posted_on, row.posted_by = on, officer
            s.flush()
        return _letter(row)

    return _transaction(bind, work)
