"""Who is at the keyboard: `--as OFFICER_ID` or CONDUCT_OFFICER, checked against the roster in
force. The workflow checks roles again against the roster its case was opened with; this check
stops an unknown id before anything reaches Temporal."""

from __future__ import annotations

from typing import TYPE_CHECKING

from conduct.vocabulary import Role
from starter.output import Exit, fail
from starter.roster_io import roster_in_force

if TYPE_CHECKING:
    from conduct.roster import Officer, Roster
    from conduct.settings import Settings

ROSTER_KEEPERS = frozenset({Role.MONITORING_OFFICER, Role.DEPUTY_MONITORING_OFFICER})


def known_officer(roster: Roster | None, officer_id: str | None) -> Officer:
    if not officer_id or not officer_id.strip():
        fail(Exit.USAGE, "say who you are: --as OFFICER_ID, or set CONDUCT_OFFICER")
    if roster is None:
        fail(Exit.REFUSED, "no roster has been imported yet: run `conduct roster import PATH` first")
    officer = roster.officer(officer_id.strip())
    if officer is None:
        fail(Exit.REFUSED, f"officer {officer_id!r} is not on the current roster; refused")
    return officer


def identify(settings: Settings, officer_id: str | None) -> Officer:
    """The acting officer, or a refusal (exit 3) when the id is not on the current roster."""
    return known_officer(roster_in_force(settings), officer_id)


def may_replace_roster(settings: Settings, officer_id: str | None) -> Officer | None:
    """Anyone may import the first roster (there is nobody to check against yet); afterwards only
    the Monitoring Officer or the deputy."""
    roster = roster_in_force(settings)
    if roster is None:
        return None
    officer = known_officer(roster, officer_id)
    if not ROSTER_KEEPERS & set(officer.roles):
        fail(Exit.REFUSED, f"{officer.id} cannot replace the roster: it needs monitoring_officer or deputy")
    return officer
