"""Text from Xero made safe to show: without the Unicode bidirectional controls that let a value disguise itself.

An invoice number like "INV-" + U+202E + "0001-FDP" renders right-to-left from the override on, so a rep reads
something other than what Xero holds. Embeddings, overrides and isolates (U+202A to U+202E, U+2066 to U+2069) and the
invisible direction marks (U+200E, U+200F, U+061C) are removed; every other character is kept as it is.
"""

from __future__ import annotations

from dataclasses import dataclass

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


class Message(str):
    """English text shown to people that the web layer translates at render time (plugin/web/i18n.py).

    It *is* its English text (a str: logs, tests and comparisons see English), and keeps its msgid, its plural form
    and count, and its named %-placeholders, so `_()` in a template looks up the catalog's words and fills them in.
    Made by `N_` and `Nn_`, which pybabel's extraction finds (babel.cfg, `-k N_ -k Nn_:1,2`). Lower layers import
    no Flask-Babel: they only mark.
    """

    __slots__ = ("count", "msgid", "params", "plural")
    msgid: str
    plural: str | None
    count: int | None
    params: dict[str, object]

    def __new__(cls, msgid: str, plural: str | None = None, count: int | None = None, **params: object) -> Message:
        values = dict(params)
        if count is not None:
            values.setdefault("num", count)
        english = plural if plural is not None and count != 1 else msgid
        made = super().__new__(cls, english % values if values else english)
        made.msgid, made.plural, made.count, made.params = msgid, plural, count, values
        return made

    def translate(self, gettext, ngettext) -> str:
        if self.plural is not None and self.count is not None:
            text = ngettext(self.msgid, self.plural, self.count)
        else:
            text = gettext(self.msgid)
        if not self.params:
            return text
        return text % {name: value.translate(gettext, ngettext) if isinstance(value, Message) else value
                       for name, value in self.params.items()}


def N_(msgid: str, **params: object) -> Message:
    """Marks English text for the catalogs (plugin/translations) without translating it: the domain knows no locale."""
    return Message(msgid, **params)


def Nn_(singular: str, plural: str, count: int, **params: object) -> Message:
    """As `N_` with a plural: "%(num)d day overdue" / "%(num)d days overdue"."""
    return Message(singular, plural, count, **params)


@dataclass(frozen=True, slots=True)
class Said:
    """A Message as plain data, for values kept in the shared cache (MessagePack knows no str subclass): its msgid,
    plural, count and placeholders; `marked` names the placeholders that are msgids themselves."""

    msgid: str
    plural: str | None = None
    count: int | None = None
    params: tuple[tuple[str, str | int], ...] = ()
    marked: tuple[str, ...] = ()

    @classmethod
    def of(cls, message: Message) -> Said:
        params = tuple((name, str(value) if isinstance(value, Message) else value)
                       for name, value in message.params.items() if name != "num" or message.count is None)
        marked = tuple(name for name, value in message.params.items() if isinstance(value, Message))
        return cls(message.msgid, message.plural, message.count, params, marked)  # type: ignore[arg-type]

    @property
    def message(self) -> Message:
        params = {name: Message(value) if name in self.marked and isinstance(value, str) else value
                  for name, value in self.params}
        return Message(self.msgid, self.plural, self.count, **params)

    def __str__(self) -> str:
        return str.__str__(self.message)
