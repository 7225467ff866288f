"""`draft-report` and `final-report --attach FILE` (repeatable): the statements and documents a
report carries (R7). Each file is checked before anything is stored or sent: a regular file, a
PDF, PNG, JPEG, Word (.docx) or plain text file by its content, at most CONDUCT_ATTACHMENT_MAX_KIB
each and CONDUCT_ATTACHMENTS_MAX_KIB together (they go with every letter of the report), never one
of the service's keys or secrets. Then each is sealed in the case's document store
(conduct/document_store.py) and only its reference travels in the action.

If the action is then refused (exit 2, 3 or 4), the files this command stored are removed again;
one it found already stored (the same command run again) is left for the first run's action."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from starter.output import CliError, Exit, fail

if TYPE_CHECKING:
    from conduct.documents import DocumentRef
    from conduct.settings import Settings


def _checked(settings: Settings, files: list[Path]) -> list[tuple[Path, bytes]]:
    from conduct.document_store import DocumentError, read_bounded
    from conduct.documents import MAX_DOCUMENTS
    from starter.text_input import _same_file, secret_files

    if len(files) > MAX_DOCUMENTS:
        fail(Exit.USAGE, f"--attach: at most {MAX_DOCUMENTS} files to one report")
    each, total = settings.attachment_max_kib * 1024, settings.attachments_max_kib * 1024
    read: list[tuple[Path, bytes]] = []
    for file in files:
        if _same_file(file, secret_files(settings)):
            fail(Exit.USAGE, f"--attach: {file} is one of the service's keys or secrets: refused")
        try:
            data = read_bounded(file, each)
        except DocumentError as err:
            fail(Exit.USAGE, f"--attach: {err} (CONDUCT_ATTACHMENT_MAX_KIB is {settings.attachment_max_kib})")
        read.append((file, data))
    if sum(len(d) for _, d in read) > total:
        fail(
            Exit.USAGE,
            f"--attach: the files come to more than {settings.attachments_max_kib} KiB together, the most one "
            "report may carry (CONDUCT_ATTACHMENTS_MAX_KIB): send fewer or smaller files",
        )
    return read


@contextmanager
def attached(settings: Settings, reference: str, files: list[Path] | None) -> Iterator[list[DocumentRef]]:
    """The files sealed for the case, as references for the action; removed again if the action
    is refused or fails a check."""
    from conduct.document_store import DocumentError, DocumentStore

    if not files:
        yield []
        return
    read = _checked(settings, files)
    store = DocumentStore(settings)
    refs: list[DocumentRef] = []
    new: list[Callable[[], None]] = []
    try:
        for file, data in read:
            try:
                ref, written = store.put(reference, file.name, data)
            except DocumentError as err:
                fail(Exit.USAGE, f"--attach: {err}")
            if any(r.id == ref.id for r in refs):
                fail(Exit.USAGE, f"--attach: {file} is given twice")
            refs.append(ref)
            if written:
                new.append(lambda r=ref: store.remove(reference, r))
        yield refs
    except CliError as err:
        if err.code in (Exit.USAGE, Exit.REFUSED, Exit.NOT_FOUND):
            for remove in new:
                remove()
        raise
