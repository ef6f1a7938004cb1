"""Money: a Decimal amount in one currency. Two currencies are never added together."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

import msgspec


class CurrencyMismatch(ValueError):
    """Raised when arithmetic would mix two currencies."""


Currency = Annotated[str, msgspec.Meta(min_length=3, max_length=3)]  # a three-letter code, e.g. "NZD"


class Money(msgspec.Struct, frozen=True, gc=False):
    """Immutable and hashable. A msgspec Struct: parsing a page of invoices builds thousands of these, which a
    Struct does in C, and msgspec encodes and decodes them exactly (msgpack snapshots). `gc=False`: it holds only
    a Decimal and a str, so it can never be part of a reference cycle and the collector need not track it.

    The types are checked where values come in, not on every construction: msgspec checks them whenever it
    decodes a Money (a Decimal amount and a three-letter code), the Xero parser hands over only Decimals and
    known currency codes, and type checkers see the annotations. (A `__post_init__` check cost the parser a
    tenth of its time: it made most of the Python calls of a page.)
    """

    amount: Decimal
    currency: Currency

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(Decimal("0"), currency)

    def _same_currency(self, other: object) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        if other.currency != self.currency:
            raise CurrencyMismatch(f"cannot combine {self.currency} with {other.currency}")
        return other

    def __add__(self, other: Money) -> Money:
        other = self._same_currency(other)
        if other is NotImplemented:
            return NotImplemented
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        other = self._same_currency(other)
        if other is NotImplemented:
            return NotImplemented
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    @property
    def is_zero(self) -> bool:
        return self.amount == 0

    def __str__(self) -> str:
        return f"{self.amount:.2f} {self.currency}"
