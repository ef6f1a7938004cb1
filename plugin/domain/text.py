"""Text from Xero made safe to show: without the Unicode bidirectional controls that let a value disguise itself.

An invoice number like "INV-" + U+202E + "0001-FDP" renders right-to-left from the override on, so a rep reads
something other than what Xero holds. Embeddings, overrides and isolates (U+202A to U+202E, U+2066 to U+2069) and the
invisible direction marks (U+200E, U+200F, U+061C) are removed; every other character is kept as it is.
"""

from __future__ import annotations

BIDI_CONTROLS = frozenset(
    [chr(code) for code in range(0x202A, 0x202F)] + [chr(code) for code in range(0x2066, 0x206A)]
    + ["\u200e", "\u200f", "\u061c"]
)
_REMOVE = {ord(character): None for character in BIDI_CONTROLS}


def clean_text(text: str) -> str:
    """`text` without bidirectional control characters (the same object when it has none, which is the rule)."""
    if text.isascii():
        return text
    return text.translate(_REMOVE)
