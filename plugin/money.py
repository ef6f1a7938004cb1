"""Money: a Decimal amount in one currency. Two currencies are never added together."""

from __future__ import annotations

from decimal import Decimal

import msgspec


class CurrencyMismatch(ValueError):
    """Raised when arithmetic would mix two currencies."""


class Money(msgspec.Struct, frozen=True, gc=False):
    """Immutable and hashable. A msgspec Struct: built in C (parsing a page makes thousands of these) and
    encoded/decoded by msgspec (msgpack snapshots). `gc=False`: it holds only a Decimal and a str, so it can
    never be part of a reference cycle and the garbage collector need not track it."""

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:  # also runs when msgspec decodes a Money
        if not isinstance(self.amount, Decimal):
            raise TypeError(f"Money amount must be a Decimal, not {type(self.amount).__name__}")
        if not (isinstance(self.currency, str) and len(self.currency) == 3):
            raise ValueError(f"currency must be a three-letter code, got {self.currency!r}")

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
