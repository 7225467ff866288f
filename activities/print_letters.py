"""Letters on paper (issue 14, "Channels and receipt"): a letter to a party without e-mail is rendered
to PDF (WeasyPrint, as the Standards Committee's paper is) with the recipient's postal address and
the date at the top, sealed in the case's document store and put in the print queue
(conduct/print_queue.py) instead of being mailed. Called by `send_letter` in its worker thread.
"""

from __future__ import annotations

from datetime import UTC, datetime

from markupsafe import Markup, escape
from sqlalchemy import Engine

from activities.letters import RenderedLetter, long_date
from conduct import print_queue
from conduct.calendar import london_date
from conduct.document_store import DocumentStore
from conduct.letters import LetterReceipt, LetterRequest
from conduct.postal import address_lines
from conduct.settings import Settings

_PAGE = Markup(
    "<style>@page { size: A4; margin: 2.5cm 2cm; } body { max-width: none; margin: 0; padding: 0; }"
    " .postal-address { margin: 0 0 2em 0; line-height: 1.3; } .postal-date { margin-bottom: 2em; }</style>"
)


def paper_html(rendered: RenderedLetter, request: LetterRequest, on: datetime) -> str:
    """The letter's HTML with the address block and the date a window envelope shows, set for A4."""
    lines = [request.recipient.name, *address_lines(request.recipient.address)]
    block = Markup("<br>").join(escape(line) for line in lines if line)
    top = Markup('<div class="postal-address">{}</div><p class="postal-date">{}</p>').format(
        block, long_date(london_date(on))
    )
    html = rendered.html.replace("</head>", f"{_PAGE}</head>", 1).replace("<body>", f"<body>\n{top}", 1)
    if request.attachment_text:  # e.g. the draft report: printed after the letter, on a page of its own
        enclosure = Markup(
            '<section style="page-break-before: always"><h2>Enclosure: {}</h2>'
            '<pre style="white-space: pre-wrap; font-family: inherit">{}</pre></section>'
        ).format(request.attachment_name or "attachment", request.attachment_text)
        html = html.replace("</body>", f"{enclosure}</body>", 1)
    return html


def render_pdf(html: str) -> bytes:
    from weasyprint import HTML  # about 0.7 s to import: only when a letter goes by post

    return HTML(string=html).write_pdf()


def queue_letter(settings: Settings, engine: Engine, request: LetterRequest, rendered: RenderedLetter) -> LetterReceipt:
    """Render, seal and queue the letter once (by its key); the receipt says it went to the queue.
    A DocumentError (no encryption key: a letter is never kept in clear) is the caller's to report."""
    earlier = print_queue.queued(engine, request.key)
    if earlier is not None:
        return earlier.receipt()
    now = datetime.now(UTC)
    pdf = render_pdf(paper_html(rendered, request, now))
    name = f"{request.reference}-{request.template.value}-{request.recipient.role.value}.pdf"
    document, _ = DocumentStore(settings).put(request.reference, name, pdf)
    letter = print_queue.enqueue(
        engine,
        print_queue.QueuedLetter(
            id=0, key=request.key, reference=request.reference, template=request.template,
            role=request.recipient.role, name=request.recipient.name, address=request.recipient.address,
            subject=rendered.subject, document=document, queued_at=now,
        ),
    )  # fmt: skip
    receipt = letter.receipt()
    return receipt.model_copy(update={"duplicate": letter.queued_at != now})
