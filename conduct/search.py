"""Custom search attributes: how the CLI lists and filters cases through Temporal visibility.

No personal data of the complainant goes here: codecs do not encrypt search attributes.
"""

from temporalio.common import SearchAttributeKey

REFERENCE = SearchAttributeKey.for_keyword("ComplaintReference")
COUNCIL = SearchAttributeKey.for_keyword("ComplaintCouncil")
STAGE = SearchAttributeKey.for_keyword("ComplaintStage")
SUBJECT_MEMBERS = SearchAttributeKey.for_keyword_list("ComplaintSubjectMembers")
GROUPS = SearchAttributeKey.for_keyword_list("ComplaintGroups")
NEXT_DEADLINE = SearchAttributeKey.for_datetime("ComplaintNextDeadline")
OVERDUE = SearchAttributeKey.for_bool("ComplaintOverdue")

ALL = [REFERENCE, COUNCIL, STAGE, SUBJECT_MEMBERS, GROUPS, NEXT_DEADLINE, OVERDUE]


def dev_server_flags() -> list[str]:
    """`--search-attribute Name=Type` flags for `temporal server start-dev`."""
    kinds = {"KEYWORD": "Keyword", "KEYWORD_LIST": "KeywordList", "DATETIME": "Datetime", "BOOL": "Bool"}
    flags = []
    for key in ALL:
        flags += [
            "--search-attribute",
            f"{key.name}={kinds[key.indexed_value_type.name.removeprefix('INDEXED_VALUE_TYPE_')]}",
        ]
    return flags
