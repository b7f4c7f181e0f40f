"""NFC normalisation of Vietnamese text."""

from __future__ import annotations

import unicodedata

from lienthong.schemas.rules.text import nfc, nfc_value

COMPOSED = "Hậu Giang, Vị Thuỷ, Hoà Lựu"


def test_decomposed_text_is_composed() -> None:
    decomposed = unicodedata.normalize("NFD", COMPOSED)
    assert decomposed != COMPOSED
    assert nfc(decomposed) == COMPOSED
    assert len(nfc(decomposed)) < len(decomposed)


def test_mixed_mark_orders_compose_to_the_same_text() -> None:
    # "ộ" typed as o + dot below + circumflex, or o + circumflex + dot below.
    assert nfc("o\u0323\u0302") == nfc("o\u0302\u0323") == "ộ"


def test_nfc_text_is_returned_as_is() -> None:
    assert nfc(COMPOSED) is COMPOSED
    assert nfc("") == ""


def test_nfc_value_handles_strings_and_lists_only() -> None:
    decomposed = unicodedata.normalize("NFD", COMPOSED)
    assert nfc_value(decomposed) == COMPOSED
    assert nfc_value([decomposed, 1]) == [COMPOSED, 1]
    nested = {"name": decomposed}
    assert nfc_value(nested) is nested  # records normalise their own fields
    assert nfc_value(5) == 5
