"""How agency codes and names become ASCII names for Kafka (topics and principals).

One fold for both, so an agency's principal and its topics always agree: the broker's
ACLs grant ``agency.<segment>`` the prefix ``<prefix>.ingress.<segment>.``.
"""

from __future__ import annotations

import re
import unicodedata

_UNSAFE = re.compile(r"[^a-z0-9._-]+")


def topic_segment(text: str) -> str:
    """A Kafka-safe, lower-case ASCII form of an agency code or name.

    "000.00.00.H30" → "000.00.00.h30"; "Sở Y tế" → "so-y-te"; "SNN&PTNT" → "snn-ptnt".
    """
    folded = unicodedata.normalize("NFKD", text.replace("Đ", "D").replace("đ", "d"))
    ascii_text = folded.encode("ascii", "ignore").decode().lower()
    segment = _UNSAFE.sub("-", ascii_text).strip("-.")
    if not segment:
        raise ValueError(f"{text!r} has no character usable in a topic name")
    return segment
