"""Administrative unit codes through the 2025 reorganization: valid when, and succeeded by.

From 1 July 2025 the new commune-level governments of Cần Thơ city operate (NQ
1668/NQ-UBTVQH15 art. 2) and the district level is gone (reference/haugiang_reform_2025.md):
Hậu Giang's 75 commune-level units became 28, each new unit reusing one of its
predecessors' GSO codes, and its 8 district-level units (930–937) ended with no successor.
So a code means a unit only on a date:

- before the change, any 2024 code is valid; its *current* unit is its successor (a
  commune's new unit; a district stays itself, having none);
- from the change, only the 28 new codes are valid; a retired code is refused with its
  successor named (:class:`RetiredUnit`).

A code the 2024 list does not hold (none today: every new code reuses an old one) is
taken as it is. Pure; the data is the reference's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache

from lienthong.schemas.reference import reform_2025, units_2024

REFORM_DAY = date(2025, 7, 1)
"""The first day of the new units (NQ 1668/NQ-UBTVQH15 art. 2; haugiang_reform_2025.md)."""


@dataclass(frozen=True)
class UnitVersion:
    """One unit code as valid from ``valid_from`` until before ``valid_to`` (None: open)."""

    code: str
    name: str
    level: str  # "district" or "commune"
    valid_from: date | None
    valid_to: date | None
    successor: str | None  # the unit that took it over on ``valid_to``, if any


@dataclass(frozen=True)
class UnitOnDate:
    """A unit code valid on its event's legal date, and the unit it is today."""

    original: str
    current: str


@dataclass(frozen=True)
class RetiredUnit:
    """A code no longer valid on the event's legal date."""

    code: str
    successor: str | None
    message: str


@cache
def unit_versions() -> tuple[UnitVersion, ...]:
    """The 2024 units (until the change) and the new communes (from it)."""
    successor = {c.old_code: c.new_code for c in reform_2025()}
    old = tuple(
        UnitVersion(u.code, u.name, u.level, None, REFORM_DAY, successor.get(u.code))
        for u in units_2024()
    )
    new = {c.new_code: c.new_name for c in reform_2025()}
    return old + tuple(
        UnitVersion(code, name, "commune", REFORM_DAY, None, None) for code, name in new.items()
    )


@cache
def _index() -> tuple[dict[str, UnitVersion], dict[str, UnitVersion]]:
    before = {v.code: v for v in unit_versions() if v.valid_from is None}
    after = {v.code: v for v in unit_versions() if v.valid_from == REFORM_DAY}
    return before, after


def resolve_unit(code: str, on: date) -> UnitOnDate | RetiredUnit:
    """What ``code`` means on ``on``: the unit it names today, or why it is retired."""
    before, after = _index()
    if on < REFORM_DAY:
        old = before.get(code)
        return UnitOnDate(code, (old.successor or code) if old else code)
    if code in after or code not in before:
        return UnitOnDate(code, code)
    retired = before[code]
    if retired.successor is None:
        message = (
            f"unit {code} ({retired.name}) ended on {REFORM_DAY.isoformat()} with the district "
            "level and has no successor: give the commune-level unit's code"
        )
    else:
        new = after[retired.successor]
        message = (
            f"unit {code} ({retired.name}) was merged into {new.code} ({new.name}) on "
            f"{REFORM_DAY.isoformat()}: an event dated from then must use {new.code}"
        )
    return RetiredUnit(code, retired.successor, message)


def current_unit(code: str, on: date) -> str:
    """The unit ``code`` names today, for an event dated ``on`` (a retired code: its
    successor, or itself if it has none)."""
    found = resolve_unit(code, on)
    if isinstance(found, UnitOnDate):
        return found.current
    return found.successor or code


def communes_on(day: date) -> tuple[UnitVersion, ...]:
    """The commune-level units valid on ``day`` (the 75 old ones before the change, the 28
    new ones from it), in the reference's order."""
    return tuple(
        v
        for v in unit_versions()
        if v.level == "commune"
        and (v.valid_from is None or v.valid_from <= day)
        and (v.valid_to is None or day < v.valid_to)
    )
