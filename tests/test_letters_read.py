"""Issue 16: a case's letters can be read as their recipients read them (`conduct letters`, and
the officers' web view links each letter to it), rendered again from the case's history, and only
by those who may read the complainant's identity and the complaint."""

from __future__ import annotations

import email
import email.policy

from tests import devserver_fixtures
from tests.devserver_fixtures import Conduct

dev_server = devserver_fixtures.dev_server
conduct = devserver_fixtures.conduct


async def test_each_letter_reads_as_its_recipient_read_it_and_only_to_those_who_may(conduct: Conduct) -> None:
    reference = await conduct.open_case()
    await conduct.ok("triage", reference, "--notify")
    listed = await conduct.eventually(
        lambda: conduct.json("letters", reference),
        lambda found: len(found["letters"]) >= 2,
        "the acknowledgement and the notice to the subject member",
    )
    names = [letter["template"] for letter in listed["letters"]]
    assert names[0] == "acknowledgement" and "subject_notified" in names
    assert listed["letters"][0]["n"] == 1 and listed["letters"][0]["to"] == ["complainant"]

    first = await conduct.json("letters", reference, "--show", "1")
    assert first["to"] == "complainant" and reference in first["subject"] and reference in first["text"]
    # the same letter as the outbox holds it (the development mail backend)
    sent = [
        email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
        for p in conduct.settings.resolved_outbox_dir.glob(f"{reference}*.eml")
    ]
    assert first["subject"] in [str(m["Subject"]) for m in sent]

    n = names.index("subject_notified") + 1
    to_subject = await conduct.json("letters", reference, "--show", str(n), "--to", "subject-member")
    assert to_subject["to"] == "subject_member"
    text = (await conduct.ok("letters", reference, "--show", str(n))).stdout
    assert text.startswith(f"Letter {n} (subject_notified) to the subject member") and "Subject: " in text

    refused = await conduct.run("letters", reference, "--show", "1", "--as", "dem")  # not referred to a hearing
    assert refused.exit_code == 3 and "withheld" in refused.output
    assert (await conduct.run("letters", reference, "--as", "dem", "--json")).exit_code == 0  # the list is not
    assert (await conduct.run("letters", reference, "--show", "99")).exit_code == 2
    assert (await conduct.run("letters", reference, "--show", "1", "--to", "panel")).exit_code == 2
    assert (await conduct.run("letters", "WBC-2099-9999")).exit_code == 4
