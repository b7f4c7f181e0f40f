"""Vietnamese text is stored NFC-normalised.

The same word can arrive precomposed ("ộ", one code point) or decomposed ("o" + two
combining marks) depending on the keyboard and the operating system; NFC is what the
reference data uses, so comparisons, look-ups and dedup only work after normalising.
"""

from __future__ import annotations

import unicodedata

_is_normalized = unicodedata.is_normalized


def utf8_problem(text: str) -> str | None:
    """Why ``text`` cannot travel as UTF-8 (a lone surrogate), or ``None`` if it can.

    Python strings may hold surrogate code points that no UTF-8 encoder writes, so an
    event holding one would pass the contracts and fail in the codec, naming no field.
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return f"holds {text[exc.start]!r} at {exc.start}, a lone surrogate that is not text"
    return None


def nfc(text: str) -> str:
    """``text`` in Unicode Normalisation Form C (unchanged, and cheap, if it already is)."""
    # ASCII text is always NFC, and ``isascii`` is far cheaper than ``is_normalized``.
    if text.isascii() or _is_normalized("NFC", text):
        return text
    return unicodedata.normalize("NFC", text)


def nfc_value(value: object) -> object:
    """NFC for a string or for the strings of a list; anything else is returned as is.

    Nested records are not walked: their own string fields normalise themselves.
    """
    if isinstance(value, str):
        return nfc(value)
    if isinstance(value, list):
        return [nfc(item) if isinstance(item, str) else item for item in value]
    return value
