"""A letter's documents, opened from the sealed store for the letter activity to attach (R7: the
reports go with their statements and documents). A document that cannot be opened (missing,
altered, its key not configured) is a DocumentError: the letter is refused for good, recorded on
the case, and the MO and deputy are told, as for any letter that cannot go."""

from __future__ import annotations

from activities.mail import MailAttachment
from conduct.document_store import DocumentStore
from conduct.letters import LetterRequest
from conduct.settings import Settings


def letter_documents(settings: Settings, request: LetterRequest) -> list[MailAttachment]:
    if not request.documents:
        return []
    store = DocumentStore(settings)
    return [
        MailAttachment(name=d.name, content_type=d.content_type, data=store.get(request.reference, d))
        for d in request.documents
    ]
