"""Vietnamese text is stored NFC-normalised.

The same word can arrive precomposed ("ộ", one code point) or decomposed ("o" + two
combining marks) depending on the keyboard and the operating system; NFC is what the
reference data uses, so comparisons, look-ups and dedup only work after normalising.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from typing import Any

_is_normalized = unicodedata.is_normalized


def nfc(text: str) -> str:
    """``text`` in Unicode Normalisation Form C (unchanged, and cheap, if it already is)."""
    if unicodedata.is_normalized("NFC", text):
        return text
    return unicodedata.normalize("NFC", text)


def nfc_value(value: object) -> object:
    """NFC for a string or for the strings of a list; anything else is returned as is.

    Nested records are not walked: each model normalises its own input.
    """
    if isinstance(value, str):
        return nfc(value)
    if isinstance(value, list):
        return [nfc(item) if isinstance(item, str) else item for item in value]
    return value


def _is_nfc(value: object) -> bool:
    if type(value) is str:
        return _is_normalized("NFC", value)
    if type(value) is list:
        return all(type(i) is not str or _is_normalized("NFC", i) for i in value)
    return True


def nfc_fields(record: Mapping[str, Any]) -> dict[str, Any]:
    """``record`` with :func:`nfc_value` applied to each value.

    Returns ``record`` itself when it is a dict already in NFC (the usual case: checking
    costs a fraction of copying, and validation runs once per event).
    """
    if type(record) is dict and _all_nfc(record):
        return record
    return {key: nfc_value(value) for key, value in record.items()}


def _all_nfc(record: dict[str, Any]) -> bool:
    # One loop without a call per value: it runs for every record of every event.
    # ASCII text is always NFC, and ``isascii`` is far cheaper than ``is_normalized``.
    for value in record.values():
        kind = type(value)
        if kind is str:
            if not value.isascii() and not _is_normalized("NFC", value):
                return False
        elif kind is list and not _is_nfc(value):
            return False
    return True
