"""Letter templates, rendering, the outbox and the send_letter activity."""

from __future__ import annotations

import email
import email.policy
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from temporalio.testing import ActivityEnvironment

from activities.letters import letter_environment, render_letter
from activities.mail import (
    KEY_HEADER,
    REFERENCE_HEADER,
    OutboxBackend,
    OutgoingMail,
    SmtpBackend,
    backend_from_settings,
)
from activities.notifications import LetterActivities
from conduct.letters import LetterContext, LetterRequest, LetterTemplate
from conduct.register import NotificationRow
from conduct.settings import PROJECT_ROOT, Settings
from conduct.vocabulary import ClockName, RecipientRole
from tests import factories

TEMPLATES = PROJECT_ROOT / "templates"
REFERENCE = factories.REFERENCE
DISTINCTIVE = "Zebedee Quill"

DECISION_LETTERS = [
    LetterTemplate.DECISION_NO_ACTION,
    LetterTemplate.DECISION_INFORMAL,
    LetterTemplate.INFORMAL_OUTCOME,
    LetterTemplate.DECISION_REFERRED,
    LetterTemplate.DECISION_INVESTIGATE,
    LetterTemplate.FINAL_REPORT_NO_BREACH,
    LetterTemplate.DECISION_NOTICE,
    LetterTemplate.WITHDRAWAL_DECISION,
]


def make_request(
    template: LetterTemplate,
    role: RecipientRole = RecipientRole.COMPLAINANT,
    *,
    key: str | None = None,
    context: LetterContext | None = None,
    **recipient_overrides: object,
) -> LetterRequest:
    return LetterRequest(
        key=key or f"{REFERENCE}:{template.value}:{role.value}",
        template=template,
        reference=REFERENCE,
        recipient=factories.recipient(role, **recipient_overrides),
        context=context or factories.letter_context(),
    )


def render(template: LetterTemplate, role: RecipientRole = RecipientRole.COMPLAINANT, **kwargs: object):
    return render_letter(make_request(template, role, **kwargs), TEMPLATES)


# ----------------------------------------------------------------------------- templates


def test_a_template_pair_for_every_letter_and_nothing_else():
    folder = TEMPLATES / "letters"
    names = {p.name for p in folder.iterdir() if p.is_file()}
    expected = {f"{t.value}.{ext}.j2" for t in LetterTemplate for ext in ("txt", "html")}
    assert expected <= names
    assert names - expected <= {"_base.html.j2"}


@pytest.mark.parametrize("template", list(LetterTemplate))
def test_every_template_renders_for_every_recipient(template: LetterTemplate):
    for role in RecipientRole:
        letter = render(template, role)
        assert REFERENCE in letter.subject
        assert letter.text.strip() and letter.html.strip()
        assert not letter.text.startswith("Subject:")
        assert letter.html.lstrip().startswith("<!DOCTYPE html>")
        assert f"<title>{letter.subject}</title>" in letter.html
        assert REFERENCE in letter.text and REFERENCE in letter.html
        assert "Dear " in letter.text and "Dear " in letter.html
        assert "\n\n\n\n" not in letter.text


@pytest.mark.parametrize("template", list(LetterTemplate))
def test_text_template_starts_with_subject_line_then_blank_line(template: LetterTemplate):
    env = letter_environment(TEMPLATES)
    request = make_request(template)
    raw = env.get_template(f"{template.value}.txt.j2").render(
        letter=request.context, recipient=request.recipient, template=template.value
    )
    first, second = raw.split("\n")[:2]
    assert first.startswith("Subject: ") and REFERENCE in first
    assert second == ""
    source = (TEMPLATES / "letters" / f"{template.value}.txt.j2").read_text()
    assert source.startswith("Subject: ")


@pytest.mark.parametrize("template", list(LetterTemplate))
def test_every_template_renders_with_a_minimal_context(template: LetterTemplate):
    bare = LetterContext(reference=REFERENCE, council_name="Adur District Council", subject_names=["Martin Obi"])
    for role in (RecipientRole.COMPLAINANT, RecipientRole.SUBJECT_MEMBER, RecipientRole.MONITORING_OFFICER):
        letter = render(template, role, context=bare)
        assert REFERENCE in letter.subject
        assert "None" not in letter.text and "None" not in letter.html


@pytest.mark.parametrize("template", DECISION_LETTERS)
def test_decision_letters_say_there_is_no_appeal(template: LetterTemplate):
    for role in (RecipientRole.COMPLAINANT, RecipientRole.SUBJECT_MEMBER):
        letter = render(template, role)
        assert "no right of appeal" in letter.text
        assert "no right of appeal" in letter.html


def test_letters_carry_their_items_dates_and_reasons():
    context = factories.letter_context(
        items=["the complaint is anonymous"], text="No contact details were given.", hearing_date=None
    )
    letter = render(LetterTemplate.DECISION_NO_ACTION, RecipientRole.SUBJECT_MEMBER, context=context)
    assert "- the complaint is anonymous" in letter.text
    assert "No contact details were given." in letter.text
    assert "<li>the complaint is anonymous</li>" in letter.html
    assert "section 4" in letter.text and "(R4)" in letter.text
    assert letter.text.startswith("Dear Councillor Desmond Achterberg,")

    notice = render(LetterTemplate.HEARING_NOTICE, RecipientRole.SUBJECT_MEMBER)
    assert "Wednesday 17 June 2026" in notice.subject
    assert "balance of probabilities" in notice.text

    comments = render(LetterTemplate.DRAFT_REPORT, RecipientRole.COMPLAINANT)
    assert "14 days" in comments.text and "Monday 30 March 2026" in comments.text


@pytest.mark.parametrize("clock", list(ClockName))
def test_clock_letters_name_the_clock_and_its_due_date(clock: ClockName):
    context = factories.letter_context(clock=clock, clock_due=date(2026, 4, 14), clock_rule="R9")
    reminder = render(LetterTemplate.CLOCK_REMINDER, RecipientRole.MONITORING_OFFICER, context=context)
    escalation = render(LetterTemplate.CLOCK_ESCALATION, RecipientRole.DEPUTY_MONITORING_OFFICER, context=context)
    for letter in (reminder, escalation):
        assert "Tuesday 14 April 2026" in letter.subject
        assert "(R9)" in letter.text
    assert "OVERDUE" in escalation.subject
    assert "overdue" in escalation.text


# ----------------------------------------------------------------------------- escaping


STRING_FIELDS = [
    "reference",
    "council_name",
    "signing_council_name",
    "subject_names",
    "complainant_name",
    "provisions",
    "text",
    "items",
    "person_name",
    "person_email",
    "clock_rule",
]


def _hostile_context() -> LetterContext:
    values: dict[str, object] = {}
    for field in STRING_FIELDS:
        payload = f"<script>alert(1)</script>#{field}"
        values[field] = [payload] if field in ("subject_names", "provisions", "items") else payload
    return factories.letter_context(**values)


def test_every_string_field_is_escaped_in_html():
    context = _hostile_context()
    seen: set[str] = set()
    for template in LetterTemplate:
        for role in RecipientRole:
            letter = render(template, role, context=context, name="<script>alert(1)</script>#recipient")
            assert "<script" not in letter.html, (template, role)
            assert "&lt;script&gt;alert(1)&lt;/script&gt;" in letter.html
            for field in [*STRING_FIELDS, "recipient"]:
                if f"&lt;script&gt;alert(1)&lt;/script&gt;#{field}" in letter.html:
                    seen.add(field)
            # the plain-text part is not HTML: it carries the string as written (every letter is signed)
            assert "<script>alert(1)</script>#signing_council_name" in letter.text
    assert seen == {*STRING_FIELDS, "recipient"}


def test_free_text_keeps_paragraphs_in_html():
    context = factories.letter_context(text="First <b>point</b>.\n\nSecond line\nthird line & more.")
    letter = render(LetterTemplate.DECISION_NO_ACTION, context=context)
    assert "<p>First &lt;b&gt;point&lt;/b&gt;.</p>" in letter.html
    assert "<p>Second line<br>\nthird line &amp; more.</p>" in letter.html


# ----------------------------------------------------------------------------- confidentiality


@pytest.mark.parametrize("template", list(LetterTemplate))
def test_complainant_name_can_appear_in_letters_to_the_complainant(template: LetterTemplate):
    context = factories.letter_context(complainant_name=DISTINCTIVE, complainant_identity_withheld=False)
    letter = render(template, RecipientRole.COMPLAINANT, context=context, name=DISTINCTIVE)
    assert DISTINCTIVE in letter.text and DISTINCTIVE in letter.html


def test_complainant_name_appears_to_the_subject_when_not_withheld():
    context = factories.letter_context(complainant_name=DISTINCTIVE, complainant_identity_withheld=False)
    letter = render(LetterTemplate.SUBJECT_NOTIFIED, RecipientRole.SUBJECT_MEMBER, context=context)
    assert f"from {DISTINCTIVE}" in letter.text and DISTINCTIVE in letter.html


@pytest.mark.parametrize("template", list(LetterTemplate))
def test_withheld_complainant_is_never_named_to_the_subject_member(template: LetterTemplate):
    blanked = factories.letter_context(complainant_name="", complainant_identity_withheld=True)
    # defence in depth: even if the workflow forgot to blank the name, the template withholds it
    unblanked = factories.letter_context(complainant_name=DISTINCTIVE, complainant_identity_withheld=True)
    for context in (blanked, unblanked):
        for role in RecipientRole:
            if role is RecipientRole.COMPLAINANT:
                continue
            letter = render(template, role, context=context)
            assert DISTINCTIVE not in letter.text, (template, role)
            assert DISTINCTIVE not in letter.html, (template, role)
            assert DISTINCTIVE not in letter.subject


def test_withheld_identity_is_explained_to_the_subject_member():
    context = factories.letter_context(complainant_name="", complainant_identity_withheld=True)
    letter = render(LetterTemplate.SUBJECT_NOTIFIED, RecipientRole.SUBJECT_MEMBER, context=context)
    assert "kept confidential" in letter.text
    assert "received a complaint about you" in letter.text


# ----------------------------------------------------------------------------- outbox


def _mail(key: str = "k-1", **overrides: object) -> OutgoingMail:
    data: dict[str, object] = {
        "key": key,
        "to": "desmond.achterberg@worthing.example",
        "to_name": "Desmond Achterberg",
        "subject": f"{REFERENCE}: decision on the complaint",
        "text": "Dear Councillor,\n\nThe decision.\n",
        "html": "<!DOCTYPE html><html><body><p>The decision.</p></body></html>",
        "sender": "Monitoring Officer <monitoring.officer@council.example>",
        "reference": REFERENCE,
    }
    data.update(overrides)
    return OutgoingMail.model_validate(data)


def _parse(path: Path) -> email.message.EmailMessage:
    return email.message_from_bytes(path.read_bytes(), policy=email.policy.default)


def test_outbox_writes_a_parseable_message(tmp_path: Path):
    backend = OutboxBackend(tmp_path / "outbox")
    backend.send(_mail())
    files = list((tmp_path / "outbox").glob("*.eml"))
    assert len(files) == 1
    assert files[0].name.startswith(REFERENCE)
    message = _parse(files[0])
    assert message["To"].addresses[0].addr_spec == "desmond.achterberg@worthing.example"
    assert message["To"].addresses[0].display_name == "Desmond Achterberg"
    assert message["From"].addresses[0].addr_spec == "monitoring.officer@council.example"
    assert message["Subject"] == f"{REFERENCE}: decision on the complaint"
    assert message[KEY_HEADER] == "k-1"
    assert message[REFERENCE_HEADER] == REFERENCE
    assert message["Message-ID"] and message["Date"]
    assert message.get_content_type() == "multipart/alternative"
    assert message.get_body(preferencelist=("plain",)).get_content() == "Dear Councillor,\n\nThe decision.\n"
    assert "<p>The decision.</p>" in message.get_body(preferencelist=("html",)).get_content()
    assert list(message.iter_attachments()) == []


def test_outbox_attaches_the_decision_notice(tmp_path: Path):
    backend = OutboxBackend(tmp_path)
    backend.send(_mail(attachment_text="Decision notice: breach found. Sanction: formal letter."))
    (path,) = tmp_path.glob("*.eml")
    message = _parse(path)
    assert message.get_content_type() == "multipart/mixed"
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_filename() == "decision-notice.txt"
    assert attachment.get_content_type() == "text/plain"
    assert "breach found" in attachment.get_content()
    assert message.get_body(preferencelist=("plain",)).get_content().startswith("Dear Councillor")


def test_outbox_same_key_twice_leaves_one_file(tmp_path: Path):
    backend = OutboxBackend(tmp_path)
    backend.send(_mail("same"))
    backend.send(_mail("same", subject="second attempt"))
    files = list(tmp_path.iterdir())
    assert len(files) == 1  # no temporary files left behind either
    assert _parse(files[0])["Subject"] == "second attempt"
    backend.send(_mail("other"))
    assert len(list(tmp_path.glob("*.eml"))) == 2


def test_outbox_headers_cannot_be_injected(tmp_path: Path):
    backend = OutboxBackend(tmp_path)
    backend.send(_mail(subject="Hello\r\nBcc: victim@example.org", to_name="Eve\nBcc: x@example.org"))
    (path,) = tmp_path.glob("*.eml")
    message = _parse(path)
    assert message["Bcc"] is None
    assert message["Subject"] == "Hello Bcc: victim@example.org"


def test_backend_from_settings(tmp_path: Path):
    settings = Settings(_env_file=None, data_dir=tmp_path, mail_backend="outbox")
    backend = backend_from_settings(settings)
    assert isinstance(backend, OutboxBackend)
    assert backend.directory == tmp_path / "outbox"
    smtp = backend_from_settings(Settings(_env_file=None, data_dir=tmp_path, mail_backend="smtp"))
    assert isinstance(smtp, SmtpBackend)
    with pytest.raises(ValueError, match="CONDUCT_SENDGRID_API_KEY"):
        backend_from_settings(Settings(_env_file=None, data_dir=tmp_path, mail_backend="sendgrid"))


# ----------------------------------------------------------------------------- send_letter activity


def _settings(tmp_path: Path) -> Settings:
    return Settings(
        _env_file=None,
        data_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'conduct.db'}",
        outbox_dir=tmp_path / "outbox",
        mail_backend="outbox",
        templates_dir=TEMPLATES,
    )


def _notification_rows(activities: LetterActivities) -> int:
    """Letters recorded as sent (a `sending` claim is not one)."""
    with Session(activities.engine) as session:
        return session.scalar(select(func.count()).select_from(NotificationRow).where(NotificationRow.status == "sent"))


class CrashAfterSend:
    """Sends, then fails the first time: a worker lost between sending and recording."""

    def __init__(self, inner: OutboxBackend) -> None:
        self.inner = inner
        self.calls = 0

    def send(self, message: OutgoingMail) -> None:
        self.calls += 1
        self.inner.send(message)
        if self.calls == 1:
            raise ConnectionError("worker lost after sending")


async def test_send_letter_twice_sends_once(tmp_path: Path):
    activities = LetterActivities(_settings(tmp_path))
    try:
        env = ActivityEnvironment()
        request = make_request(LetterTemplate.ACKNOWLEDGEMENT)
        first = await env.run(activities.send_letter, request)
        second = await env.run(activities.send_letter, request)
        assert first.duplicate is False
        assert second.duplicate is True
        assert second.sent_at == first.sent_at and second.subject == first.subject
        assert first.to == "harriet.lomax@example.org" and first.role is RecipientRole.COMPLAINANT
        assert REFERENCE in first.subject
        files = list((tmp_path / "outbox").glob("*.eml"))
        assert len(files) == 1
        message = _parse(files[0])
        assert message[KEY_HEADER] == request.key
        assert message["Subject"] == first.subject
        assert _notification_rows(activities) == 1
    finally:
        activities.close()


async def test_send_letter_retry_after_crash_between_send_and_record(tmp_path: Path):
    settings = _settings(tmp_path)
    backend = CrashAfterSend(OutboxBackend(settings.resolved_outbox_dir))
    activities = LetterActivities(settings, backend=backend)
    try:
        env = ActivityEnvironment()
        request = make_request(LetterTemplate.DECISION_NOTICE, RecipientRole.SUBJECT_MEMBER).model_copy(
            update={"attachment_text": "Decision notice"}
        )
        with pytest.raises(ConnectionError):
            await env.run(activities.send_letter, request)
        assert len(list((tmp_path / "outbox").glob("*.eml"))) == 1
        assert _notification_rows(activities) == 0

        receipt = await env.run(activities.send_letter, request)  # Temporal's retry
        assert receipt.duplicate is False
        again = await env.run(activities.send_letter, request)
        assert again.duplicate is True
        assert backend.calls == 2
        assert len(list((tmp_path / "outbox").glob("*.eml"))) == 1
        assert _notification_rows(activities) == 1
    finally:
        activities.close()


async def test_letters_to_different_recipients_are_separate(tmp_path: Path):
    activities = LetterActivities(_settings(tmp_path))
    try:
        env = ActivityEnvironment()
        for role in (RecipientRole.COMPLAINANT, RecipientRole.SUBJECT_MEMBER):
            await env.run(activities.send_letter, make_request(LetterTemplate.DECISION_NO_ACTION, role))
        assert len(list((tmp_path / "outbox").glob("*.eml"))) == 2
        assert _notification_rows(activities) == 2
    finally:
        activities.close()
