"""Xero's `where` and `order` expressions: a small tokenizer and recursive-descent parser.

Supported (as Xero documents and clients use them): `== != = < > <= >=`, `AND OR && ||`, `NOT !`, brackets,
`"strings"`, numbers, `true false null`, `Guid("…")`/`GUID("…")`, `DateTime(2026,1,1[,h,m,s])`,
`DateTime.Parse("2026-01-01T00:00:00")`, dotted fields (`Contact.ContactID`), and the string methods
`.StartsWith("…") .EndsWith("…") .Contains("…") .ToString() .ToLower() .ToUpper()`. String comparisons ignore case,
and so do field names, method names and keywords (`isCustomer==TRUE`, `emailaddress.contains("x")`), as in Xero,
whose parser (Dynamic LINQ) looks them up ignoring case. Anything else raises `QueryParseError`, which the API
answers with 400 QueryParseException (ErrorNumber 16), with messages in the style of Xero's (Dynamic LINQ's) own.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

STRING, GUID, DATE, BOOL, NUMBER = "String", "Guid", "DateTime", "Boolean", "Decimal"


class QueryParseError(ValueError):
    pass


@dataclass(frozen=True)
class Field:
    type: str
    get: Callable[[Any], Any]


@dataclass(frozen=True)
class GuidLiteral:
    value: str


Predicate = Callable[[Any], bool]

_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<string>"(?:[^"\\]|\\.)*")
  | (?P<unterminated>"[^"]*$)
  | (?P<number>-?\d+(?:\.\d+)?)
  | (?P<op>==|!=|<=|>=|&&|\|\||[=<>!(),.])
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
""", re.VERBOSE)
_WORD_OPS = {"AND": "&&", "OR": "||", "NOT": "!"}
_COMPARE = {"==", "!=", "=", "<", ">", "<=", ">="}
_METHODS = {"StartsWith", "EndsWith", "Contains"}
_CONVERSIONS = {"ToString", "ToLower", "ToUpper"}
_BY_LOWER = {name.lower(): name for name in _METHODS | _CONVERSIONS}


def _method(token: str | None) -> str | None:
    """The method `token` names (any case), spelled as Xero documents it; None when it names none."""
    return _BY_LOWER.get(token.lower()) if token else None


class _Fields:
    """Fields by name, looked up ignoring case (Xero does)."""

    def __init__(self, fields: Mapping[str, Field]) -> None:
        self.by_lower = {name.lower(): field for name, field in fields.items()}

    def get(self, name: str) -> Field | None:
        return self.by_lower.get(name.lower())


def tokenize(text: str) -> list[str]:
    tokens, pos = [], 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            raise QueryParseError(f"Syntax error '{text[pos]}'")
        if match.lastgroup == "unterminated":
            raise QueryParseError("Unterminated string literal")
        if match.lastgroup != "space":
            word = match.group()
            tokens.append(_WORD_OPS.get(word.upper(), word) if match.lastgroup == "name" else word)
        pos = match.end()
    return tokens


class _Parser:
    def __init__(self, text: str, fields: Mapping[str, Field], type_name: str) -> None:
        self.tokens = tokenize(text)
        self.pos = 0
        self.fields = _Fields(fields)
        self.type_name = type_name

    def peek(self, offset: int = 0) -> str | None:
        index = self.pos + offset
        return self.tokens[index] if index < len(self.tokens) else None

    def take(self, expected: str | None = None) -> str:
        token = self.peek()
        if token is None:
            raise QueryParseError("Expression expected")
        if expected is not None and token != expected:
            raise QueryParseError(f"'{expected}' expected")
        self.pos += 1
        return token

    def parse(self) -> Predicate:
        if not self.tokens:
            raise QueryParseError("Expression expected")
        predicate = self.or_expr()
        if self.peek() is not None:
            raise QueryParseError(f"Syntax error '{self.peek()}'")
        return predicate

    def or_expr(self) -> Predicate:
        parts = [self.and_expr()]
        while self.peek() == "||":
            self.take()
            parts.append(self.and_expr())
        return parts[0] if len(parts) == 1 else (lambda row: any(p(row) for p in parts))

    def and_expr(self) -> Predicate:
        parts = [self.unary()]
        while self.peek() == "&&":
            self.take()
            parts.append(self.unary())
        return parts[0] if len(parts) == 1 else (lambda row: all(p(row) for p in parts))

    def unary(self) -> Predicate:
        if self.peek() == "!":
            self.take()
            inner = self.unary()
            return lambda row: not inner(row)
        if self.peek() == "(":
            self.take()
            inner = self.or_expr()
            self.take(")")
            return inner
        return self.comparison()

    def comparison(self) -> Predicate:
        left = self.operand()
        if self.peek() not in _COMPARE:
            if isinstance(left, Field) and left.type == BOOL:
                return lambda row: left.get(row) is True
            if callable(left) and not isinstance(left, Field):
                return left
            raise QueryParseError("Expression of type 'Boolean' expected")
        op = self.take()
        right = self.operand()
        if isinstance(right, Field) and not isinstance(left, Field):
            left, right, op = right, left, _MIRROR.get(op, op)
        if not isinstance(left, Field) or isinstance(right, Field) or callable(right):
            raise QueryParseError("Expression expected")
        return _compare(left, op, _coerce(left, op, right))

    def operand(self) -> Any:
        token = self.take()
        if token.startswith('"'):
            return _unquote(token)
        if re.fullmatch(r"-?\d+(?:\.\d+)?", token):
            return Decimal(token)
        lowered = token.lower()
        if lowered in ("true", "false"):
            return lowered == "true"
        if lowered == "null":
            return None
        if lowered == "guid" and self.peek() == "(":
            return GuidLiteral(self.string_argument().lower())
        if lowered == "datetime":
            return self.datetime_literal()
        if not re.fullmatch(r"[A-Za-z_]\w*", token):
            raise QueryParseError("Expression expected")
        return self.field_path(token)

    def string_argument(self) -> str:
        self.take("(")
        token = self.take()
        if not token.startswith('"'):
            raise QueryParseError("String literal expected")
        self.take(")")
        return _unquote(token)

    def datetime_literal(self) -> datetime:
        if self.peek() == ".":
            self.take()
            if self.take().lower() != "parse":
                raise QueryParseError("No applicable method exists in type 'DateTime'")
            try:
                return _naive(datetime.fromisoformat(self.string_argument()))
            except ValueError as exc:
                raise QueryParseError("String was not recognized as a valid DateTime.") from exc
        self.take("(")
        parts = [self.take()]
        while self.peek() == ",":
            self.take()
            parts.append(self.take())
        self.take(")")
        try:
            return datetime(*(int(p) for p in parts))
        except (ValueError, TypeError) as exc:
            raise QueryParseError("No matching constructor in type 'DateTime'") from exc

    def field_path(self, first: str) -> Any:
        path = first
        while self.peek() == "." and _method(self.peek(1)) is None:
            self.take()
            path += "." + self.take()
        field = self.fields.get(path)
        if field is None:
            raise QueryParseError(f"No property or field '{path.split('.')[-1]}' exists in type '{self.type_name}'")
        while self.peek() == ".":
            self.take()
            given = self.take()
            method = _method(given) or given
            if method in _CONVERSIONS:
                self.take("(")
                self.take(")")
                field = Field(STRING, _as_text(field))
            elif method in _METHODS:
                if field.type not in (STRING, GUID):
                    raise QueryParseError(f"No applicable method '{method}' exists in type '{field.type}'")
                return _string_method(field, method, self.string_argument())
            else:
                raise QueryParseError(f"No applicable method '{method}' exists in type '{field.type}'")
        return field


_MIRROR = {"<": ">", ">": "<", "<=": ">=", ">=": "<="}


def _unquote(token: str) -> str:
    return re.sub(r"\\(.)", r"\1", token[1:-1])


def _naive(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def _as_text(field: Field) -> Callable[[Any], Any]:
    def get(row: Any) -> Any:
        value = field.get(row)
        return None if value is None else str(value)
    return get


def _string_method(field: Field, method: str, argument: str) -> Predicate:
    needle = argument.lower()
    test = {"StartsWith": str.startswith, "EndsWith": str.endswith, "Contains": str.__contains__}[method]

    def predicate(row: Any) -> bool:
        value = field.get(row)
        return value is not None and test(str(value).lower(), needle)
    return predicate


def _literal_type(value: Any) -> str:
    if isinstance(value, bool):
        return BOOL
    if isinstance(value, GuidLiteral):
        return GUID
    if isinstance(value, datetime):
        return DATE
    if isinstance(value, Decimal):
        return "Int32" if value == value.to_integral_value() else "Double"
    return STRING


def _coerce(field: Field, op: str, value: Any) -> Any:
    """Check operand types as Xero does and turn the literal into the field's comparable form."""
    if value is None:
        return None
    kind = _literal_type(value)
    allowed = {STRING: {STRING}, GUID: {GUID, STRING}, DATE: {DATE}, BOOL: {BOOL},
               NUMBER: {"Int32", "Double"}}[field.type]
    if kind not in allowed:
        nullable = "?" if field.type in (BOOL, DATE, NUMBER, GUID) else ""
        raise QueryParseError(f"Operator '{op}' incompatible with operand types '{field.type}{nullable}' and '{kind}'")
    if isinstance(value, GuidLiteral):
        return value.value
    if field.type in (STRING, GUID):
        if op not in ("==", "=", "!="):
            raise QueryParseError(f"Operator '{op}' incompatible with operand types '{field.type}' and 'String'")
        return value.lower()
    return value


def _comparable(field: Field, value: Any) -> Any:
    if value is None:
        return None
    if field.type in (STRING, GUID):
        return str(value).lower()
    if field.type == DATE:
        if isinstance(value, datetime):
            return _naive(value)
        if isinstance(value, date):
            return datetime(value.year, value.month, value.day)
    return value


def _compare(field: Field, op: str, literal: Any) -> Predicate:
    def predicate(row: Any) -> bool:
        value = _comparable(field, field.get(row))
        if op in ("==", "="):
            return value == literal
        if op == "!=":
            return value != literal
        if value is None or literal is None:
            return False
        return {"<": value < literal, ">": value > literal, "<=": value <= literal, ">=": value >= literal}[op]
    return predicate


def compile_where(text: str, fields: Mapping[str, Field], type_name: str) -> Predicate:
    return _Parser(text, fields, type_name).parse()


def compile_order(text: str, fields: Mapping[str, Field], type_name: str) -> list[tuple[Field, bool]]:
    """`"Date DESC, InvoiceNumber"` -> [(field, descending), ...]."""
    keys = []
    by_name = _Fields(fields)
    for part in text.split(","):
        words = part.split()
        if not words or len(words) > 2:
            raise QueryParseError("Expression expected")
        direction = words[1].upper() if len(words) == 2 else "ASC"
        if direction not in ("ASC", "DESC", "ASCENDING", "DESCENDING"):
            raise QueryParseError(f"Syntax error '{words[1]}'")
        field = by_name.get(words[0])
        if field is None:
            raise QueryParseError(f"No property or field '{words[0]}' exists in type '{type_name}'")
        keys.append((field, direction.startswith("DESC")))
    return keys


def sort_rows(rows: list[Any], keys: list[tuple[Field, bool]]) -> list[Any]:
    """Stable multi-key sort; missing values sort first ascending (last descending)."""
    for field, descending in reversed(keys):
        rows.sort(key=lambda row, f=field: _sort_key(f, row), reverse=descending)
    return rows


def _sort_key(field: Field, row: Any) -> tuple[int, Any]:
    value = _comparable(field, field.get(row))
    return (0, "") if value is None else (1, value)

