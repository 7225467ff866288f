"""The public decision notice's content and the check that keeps the complainant out of it
(conduct/publication.py): pure functions, no Temporal."""

from datetime import UTC, date, datetime

from conduct import publication as pub
from conduct.vocabulary import Finding

COMPLAINANT = pub.protected_items(
    name="Priya Shah",
    email="priya.shah@example.org",
    phone="+44 1903 221 876",
    address="Flat 2, 14 Lyndhurst Road\nWorthing BN11 2DB",
)


def notice(statement: str, **content: object) -> pub.PublicNotice:
    fields: dict[str, object] = {
        "reference": "WBC-2029-0001",
        "council": "worthing",
        "council_name": "Worthing Borough Council",
        "sub_committee": "Standards Hearings Sub-Committee",
        "councillors": ["Desmond Achterberg"],
        "hearing_date": date(2030, 3, 6),
        "finding": Finding.BREACH,
        "statement": statement,
        "breached": ["1. Respect"],
        "ip_view": "The Independent Person thought the conduct a breach.",
        "reasons": "On the balance of probabilities the member breached paragraph 1.",
        "sanctions": ["A formal letter to the councillor"],
        **content,
    }
    return pub.PublicNotice(
        content=pub.NoticeContent.model_validate(fields), drafted_at=datetime(2030, 3, 12, tzinfo=UTC)
    )


def found(statement: str, **content: object) -> list[tuple[str, str, str]]:
    return [(m.what, m.where, m.found) for m in pub.matches(pub.view(notice(statement, **content)), COMPLAINANT)]


def test_every_way_of_writing_the_complainants_name_is_found() -> None:
    for written in ("Priya Shah", "PRIYA SHAH", "Ms Shah", "Ms. Priya Shah", "P. Shah", "P Shah", "Shah"):
        hits = found(f"The complaint was made by {written} after the meeting.")
        assert [(w, f) for w, _, f in hits] == [("the complainant's name", written)], written


def test_the_address_is_found_by_postcode_street_and_house() -> None:
    assert found("She lives at 14 Lyndhurst Road.") == [
        ("the complainant's address", '"Statement of facts"', "14 Lyndhurst Road")
    ]
    assert [f for _, _, f in found("Letters went to bn112db and to\nLyndhurst Road.")] == ["bn112db", "Lyndhurst Road"]
    assert [f for _, _, f in found("Her flat (Flat 2) was visited.")] == ["Flat 2"]
    assert found("The meeting was in Worthing.") == []  # a town alone names nobody


def test_the_phone_and_email_are_found_however_written() -> None:
    assert [f for _, _, f in found("Call 01903 221876 or (01903) 221-876.")] == ["01903 221876", "(01903) 221-876"]
    assert found("Write to priya.shah@example.org today.") == [
        ("the complainant's e-mail address", '"Statement of facts"', "priya.shah@example.org")
    ]
    assert found("The hall's number is 01903 221 000.") == []


def test_where_names_the_section_and_paragraph() -> None:
    hits = found(
        "First paragraph.\n\nSecond, about Priya Shah.",
        ip_view="Ms Shah was credible.",
        reasons="Nothing personal.\n\nWe believed Ms Shah.",
    )
    assert [(w, f) for _, w, f in hits] == [
        ('"Statement of facts", paragraph 2', "Priya Shah"),
        ('"The Independent Person\'s view"', "Ms Shah"),
        ('"Decision and reasons", paragraph 3', "Ms Shah"),
    ]


def test_a_councillor_sharing_the_surname_is_not_a_match_but_the_full_name_is() -> None:
    assert found("Councillor Shah apologised.", councillors=["Anil Shah"]) == []
    assert [f for _, _, f in found("Priya Shah complained.", councillors=["Anil Shah"])] == ["Priya Shah"]


def test_other_members_of_the_public_who_are_parties() -> None:
    items = pub.protected_items(name="Priya Shah", others=["Tomasz Nowak"])
    hits = pub.matches(pub.view(notice("Mr Nowak was a witness.")), items)
    assert [(m.what, m.found) for m in hits] == [("the name of a member of the public who is a party", "Mr Nowak")]


def test_redaction_replaces_every_occurrence_and_the_check_then_passes() -> None:
    draft = notice("Priya Shah of 14 Lyndhurst Road, BN11 2DB, said priya shah was insulted.")
    cleared = pub.revised(draft, redactions=["Priya Shah", "14 Lyndhurst Road", "BN11 2DB"])
    v = pub.view(cleared)
    assert v.sections[0].paragraphs == ["[redacted] of [redacted], [redacted], said [redacted] was insulted."]
    assert pub.matches(v, COMPLAINANT) == []
    assert cleared.content.statement == draft.content.statement  # the draft is kept as it was


def test_a_new_statement_replaces_the_drafted_one() -> None:
    v = pub.view(pub.revised(notice("Priya Shah complained."), statement="A member of the public complained."))
    assert v.sections[0].paragraphs == ["A member of the public complained."]


def test_the_refusal_says_what_and_where_and_leaves_the_text_out_unless_asked() -> None:
    hits = pub.matches(pub.view(notice("Priya Shah, BN11 2DB.")), COMPLAINANT)
    quiet = pub.refusal(hits)
    assert 'the complainant\'s name in "Statement of facts"' in quiet and "the complainant's address" in quiet
    assert "Priya" not in quiet and "BN11" not in quiet
    assert '"Priya Shah"' in pub.refusal(hits, show=True)


def test_the_notice_text_has_what_best_practice_9_lists_once_with_long_dates() -> None:
    v = pub.view(notice("Facts."), corrected_on=date(2030, 4, 1))
    text = pub.as_text(v)
    assert text.count("Decision notice WBC-2029-0001") == 1
    assert "Hearing: 6 March 2030" in text and "Corrected on 1 April 2030" in text and "2030-03-06" not in text
    headings = [s.heading for s in v.sections]
    assert headings == [
        "Statement of facts",
        "Provisions of the Code of Conduct found breached",
        "The Independent Person's view",
        "Decision and reasons",
        "Sanctions",
        "Appeal",
    ]
    assert "- 1. Respect" in text and "consulted and attended" not in text
    assert "found a breach of the Code of Conduct" in text


def test_an_outcome_recorded_before_the_ip_view_existed_says_so() -> None:
    v = pub.view(notice("Facts.", ip_view="", breached=[]))
    assert v.sections[2].paragraphs == ["Not recorded."] and v.sections[1].paragraphs == ["None."]
