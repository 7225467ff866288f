"""The statements and documents a report carries (R7: "the report shall include copies of any
statements or documents obtained during the course of the investigation").

Only a reference to each document travels in the case's history: its id, the name it was given,
its kind, size and digest. The bytes are sealed on disk by `conduct.document_store` (I/O and
encryption, never imported into the workflow sandbox) and read back by the letter activity that
attaches them. Pure models: this module is imported by the workflow.
"""

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

# What a report may carry, checked before anything is stored or sent.
MAX_DOCUMENTS = 20


class DocumentKind(StrEnum):
    PDF = "pdf"
    PNG = "png"
    JPG = "jpg"
    TXT = "txt"
    DOCX = "docx"


CONTENT_TYPES: dict[DocumentKind, str] = {
    DocumentKind.PDF: "application/pdf",
    DocumentKind.PNG: "image/png",
    DocumentKind.JPG: "image/jpeg",
    DocumentKind.TXT: "text/plain",
    DocumentKind.DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


class DocumentRef(BaseModel):
    """A sealed document, by reference. Lenient: it travels in history."""

    model_config = ConfigDict(extra="ignore")

    id: str = Field(pattern=r"^[0-9a-f]{32}$", description="sha256 of name and content, first 32 hex digits")
    name: str = Field(min_length=1, max_length=120, description="the file's name as given, shown and attached")
    kind: DocumentKind
    size: int = Field(ge=0)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.kind]


class CaseDocument(BaseModel):
    """A document on the case: which report brought it, who and when."""

    model_config = ConfigDict(extra="ignore")

    document: DocumentRef
    report: str = Field(description="'draft' or 'final'")
    officer: str
    at: datetime


class FurtherBreach(BaseModel):
    """R7: "If during the course of the investigation the Investigating Officer identifies other
    breaches of the Code of Conduct the Monitoring Officer shall be advised accordingly"."""

    model_config = ConfigDict(extra="ignore")

    text: str
    officer: str
    at: datetime
    stage: str = ""


class ClockExtension(BaseModel):
    """A clock given more time by the MO, with the reason (shown as such in reviews)."""

    model_config = ConfigDict(extra="ignore")

    previous_due: date = Field(description="the due date before the extension")
    until: date = Field(description="the new due date")
    reason: str
    officer: str
    at: datetime
