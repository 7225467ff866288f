"""How a complaint reached the council (issue 14, "Channels and receipt"): kept on the complaint as it
arrived (conduct.intake) and in the register. Pure and import-free, so the intake models can use it."""

from enum import StrEnum


class Channel(StrEnum):
    """How a complaint reached the council (the register's `channel`, shown by `conduct show`)."""

    ONLINE = "online"  # the web form or the signed webhook
    POST = "post"
    EMAIL = "email"
    IN_PERSON = "in_person"


CHANNEL_WORDS: dict[Channel, str] = {
    Channel.ONLINE: "online (web form or webhook)",
    Channel.POST: "by post",
    Channel.EMAIL: "by e-mail",
    Channel.IN_PERSON: "in person",
}
