"""The legal dossier status transitions."""

from __future__ import annotations

import itertools

import pytest

from lienthong.schemas.rules import legal_transition, transition_problem
from lienthong.schemas.rules.dossier_codes import STATUSES
from lienthong.schemas.rules.transitions import FIRST_STATUSES, TRANSITIONS

# The whole matrix, written out: previous status → statuses that may follow (besides
# itself). Reading it row by row is the review of the rule.
ALLOWED: dict[int | None, set[int]] = {
    None: {1, 2, 3},
    1: {2, 3, 7},
    2: {4, 5, 6, 7, 8, 9},
    3: set(),
    4: {5, 6, 7, 8, 9},
    5: {4, 7, 8},
    6: {4, 7, 8, 9},
    7: set(),
    8: set(),
    9: {10},
    10: set(),
}


@pytest.mark.parametrize("previous", list(ALLOWED))
@pytest.mark.parametrize("new", range(1, 11))
def test_the_full_matrix(previous: int | None, new: int) -> None:
    expected = new in ALLOWED[previous] or new == previous
    assert legal_transition(previous, new) is expected
    assert (transition_problem(previous, new) is None) is expected


def test_the_table_is_the_matrix() -> None:
    assert {None: set(FIRST_STATUSES)} | {k: set(v) for k, v in TRANSITIONS.items()} == ALLOWED
    assert set(TRANSITIONS) == set(STATUSES)


def test_terminal_statuses_have_no_successor() -> None:
    terminal = {code for code, row in STATUSES.items() if row.terminal}
    assert terminal == {3, 7, 8, 10}
    assert all(not TRANSITIONS[code] for code in terminal)


def test_a_typical_dossier_walks_legally() -> None:
    path = [None, 1, 2, 4, 5, 4, 6, 9, 10]
    assert all(legal_transition(a, b) for a, b in itertools.pairwise(path) if b)


def test_repeating_a_status_is_a_legal_resync() -> None:
    assert all(legal_transition(code, code) for code in STATUSES)


def test_problems_say_what_is_allowed() -> None:
    assert transition_problem(5, 9) == "status 5 cannot be followed by 9 (allowed after 5: 4, 7, 8)"
    assert transition_problem(10, 4) == (
        "status 10 cannot be followed by 4 (allowed after 10: none: it is terminal)"
    )
    assert transition_problem(None, 4) == "a dossier's first status must be one of 1, 2, 3, not 4"


@pytest.mark.parametrize(("previous", "new"), [(11, 2), (2, 11), (None, 0), (0, 1)])
def test_unknown_codes_are_never_legal(previous: int | None, new: int) -> None:
    assert not legal_transition(previous, new)
    assert "not a portal dossier status code" in (transition_problem(previous, new) or "")
