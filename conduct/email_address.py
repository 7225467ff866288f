"""E-mail addresses as the letters can use them, checked where an address enters the system (the
web form, the webhook, a roster import) and kept as plain text after that.

Letters go out through SMTP or a provider API without SMTPUTF8, so an address must be ASCII: an
internationalised local part (`josé@example.org`) is refused here, because Python's mail library
refuses it on every attempt to send. An internationalised domain is kept in its ASCII (IDNA) form.
The models that travel in workflow history do not check addresses again: a rule tightened later
(here or in email-validator) must not make an open case's history unreadable.
"""

from __future__ import annotations

from typing import Annotated

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator

MAX_LENGTH = 320


class AddressNotAscii(ValueError):
    """The part before the @ has letters outside ASCII: no mail system we use can deliver to it."""


def mail_address(value: str) -> str:
    """`value` as letters are sent to it (domain lower-cased, IDNA), or ValueError saying why not."""
    text = value.strip()
    if len(text) > MAX_LENGTH:
        raise ValueError(f"an email address has at most {MAX_LENGTH} characters")
    local = text.rpartition("@")[0]
    if not local.isascii():
        raise AddressNotAscii("the part before the @ must use only ASCII letters, digits and symbols")
    try:
        checked = validate_email(text, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as error:
        raise ValueError(f"not a valid email address: {error}") from None
    if checked.ascii_email is None:  # not reached with allow_smtputf8=False; kept as the guarantee
        raise AddressNotAscii("the address cannot be written in ASCII")
    return checked.ascii_email


MailAddress = Annotated[str, AfterValidator(mail_address)]
"""A str field checked and normalised by `mail_address` (entry models only)."""
