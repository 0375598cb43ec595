"""The encoded-query grammar (`sysparm_query`), shared by the client's builder and the emulator.

`Query` is the only way Snowdesk builds a query: it refuses field names and values that could
change the query's shape (a `^` starts a new term, `^OR`/`^NQ` widen it, `javascript:` runs on
the server). `parse` reads a query the way ServiceNow does: leniently, dropping what it does not
understand instead of failing.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from servicenow.errors import InvalidRequest, UnsafeQueryValue


class Operator(StrEnum):
    """Encoded-query operators, spelled exactly as ServiceNow encodes them."""

    EQ = "="
    NE = "!="
    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="
    LIKE = "LIKE"
    NOT_LIKE = "NOT LIKE"
    STARTSWITH = "STARTSWITH"
    ENDSWITH = "ENDSWITH"
    IN = "IN"
    NOT_IN = "NOT IN"
    ISEMPTY = "ISEMPTY"
    ISNOTEMPTY = "ISNOTEMPTY"
    ANYTHING = "ANYTHING"


UNARY = frozenset({Operator.ISEMPTY, Operator.ISNOTEMPTY, Operator.ANYTHING})
LIST_OPERATORS = frozenset({Operator.IN, Operator.NOT_IN})

FIELD_PATTERN = r"[a-z0-9_]+(?:\.[a-z0-9_]+)*"
_FIELD = re.compile(FIELD_PATTERN)
# Longest spellings first, so `<=` wins over `<` and `ISNOTEMPTY` over `IN`.
_OPERATORS_BY_LENGTH = sorted(Operator, key=lambda op: len(op.value), reverse=True)
_TERM = re.compile(
    rf"(?P<field>{FIELD_PATTERN})"
    rf"(?P<op>{'|'.join(re.escape(op.value) for op in _OPERATORS_BY_LENGTH)})"
    r"(?P<value>.*)",
    re.DOTALL,
)
_ORDER_DESC = "ORDERBYDESC"
_ORDER_ASC = "ORDERBY"


@dataclass(frozen=True)
class Term:
    """One condition; for IN / NOT IN the value is the comma-joined list."""

    field: str
    operator: Operator
    value: str = ""


@dataclass(frozen=True)
class OrderBy:
    """One `ORDERBY` / `ORDERBYDESC` term."""

    field: str
    descending: bool = False


@dataclass(frozen=True)
class ParsedQuery:
    """A union (`^NQ`) of queries; each query is an AND-list of OR-groups of terms."""

    queries: tuple[tuple[tuple[Term, ...], ...], ...]
    order_by: tuple[OrderBy, ...]


def parse(encoded: str) -> ParsedQuery:
    """Parse an encoded query as ServiceNow does: invalid terms are dropped, never raised.

    A value ends at the next `^`, whatever it contains, which is why `Query` refuses `^`.
    """
    queries: list[list[list[Term]]] = [[]]
    order_by: list[OrderBy] = []
    for piece in encoded.split("^"):
        _read_piece(piece, queries, order_by)
    kept = tuple(tuple(tuple(group) for group in query) for query in queries if query)
    return ParsedQuery(queries=kept, order_by=tuple(order_by))


def _read_piece(piece: str, queries: list[list[list[Term]]], order_by: list[OrderBy]) -> None:
    if piece.startswith(_ORDER_ASC):
        order = _parse_order(piece)
        if order is not None:
            order_by.append(order)
        return
    if piece.startswith("NQ"):
        queries.append([])
        piece = piece[2:]
    joins_previous = piece.startswith("OR")
    term = _parse_term(piece[2:] if joins_previous else piece)
    if term is None:
        return
    current = queries[-1]
    if joins_previous and current:
        current[-1].append(term)
    else:
        current.append([term])


def _parse_order(piece: str) -> OrderBy | None:
    descending = piece.startswith(_ORDER_DESC)
    field = piece[len(_ORDER_DESC) :] if descending else piece[len(_ORDER_ASC) :]
    if not _FIELD.fullmatch(field):
        return None
    return OrderBy(field=field, descending=descending)


def _parse_term(text: str) -> Term | None:
    match = _TERM.fullmatch(text)
    if match is None:
        return None
    operator = Operator(match["op"])
    value = match["value"]
    if operator in UNARY and value:
        return None
    return Term(field=match["field"], operator=operator, value=value)


@dataclass(frozen=True)
class Query:
    """Immutable builder of safe encoded queries; each method returns a new `Query`."""

    groups: tuple[tuple[Term, ...], ...] = ()
    orders: tuple[OrderBy, ...] = ()

    def where(self, field: str, operator: Operator | str, value: str | Sequence[str] = "") -> Query:
        """AND a condition; refuses anything that could change the query's shape."""
        term = make_term(field, operator, value)
        return Query(groups=(*self.groups, (term,)), orders=self.orders)

    def or_where(
        self, field: str, operator: Operator | str, value: str | Sequence[str] = ""
    ) -> Query:
        """OR a condition with the previous one (`a^ORb`)."""
        if not self.groups:
            raise InvalidRequest("or_where needs a preceding where")
        term = make_term(field, operator, value)
        last = (*self.groups[-1], term)
        return Query(groups=(*self.groups[:-1], last), orders=self.orders)

    def order_by(self, field: str, descending: bool = False) -> Query:
        """Add a sort key (`ORDERBY` / `ORDERBYDESC`); earlier keys take precedence."""
        _check_field(field)
        return Query(groups=self.groups, orders=(*self.orders, OrderBy(field, descending)))

    def encode(self) -> str:
        """The `sysparm_query` string, e.g. `caller_id=abc^active=true^ORDERBYDESCnumber`."""
        parts = ["^OR".join(encode_term(term) for term in group) for group in self.groups]
        parts += [
            (_ORDER_DESC if order.descending else _ORDER_ASC) + order.field for order in self.orders
        ]
        return "^".join(parts)

    def __str__(self) -> str:
        return self.encode()


def encode_term(term: Term) -> str:
    """One term in encoded form (no validation: use `make_term` to build terms)."""
    return f"{term.field}{term.operator.value}{term.value}"


def make_term(field: str, operator: Operator | str, value: str | Sequence[str] = "") -> Term:
    """A validated term; raises `UnsafeQueryValue` naming the field (never echoing the value)."""
    _check_field(field)
    op = _operator(field, operator)
    if op in UNARY:
        if value not in ("", (), []):
            raise UnsafeQueryValue(f"operator {op.value} on field {field} takes no value")
        return Term(field, op)
    if op in LIST_OPERATORS:
        return Term(field, op, _list_value(field, value))
    if not isinstance(value, str):
        raise UnsafeQueryValue(f"operator {op.value} on field {field} takes a single value")
    # `@` separates range/date operands only; `=` and `!=` compare whole values such as emails.
    _check_value(field, value.replace("@", "") if op in (Operator.EQ, Operator.NE) else value)
    if op in (Operator.LT, Operator.GT) and value.startswith("="):
        raise UnsafeQueryValue(f"value for field {field} would read as another operator")
    return Term(field, op, value)


def _check_field(field: str) -> None:
    if not isinstance(field, str) or not _FIELD.fullmatch(field):
        shown = field[:40] if isinstance(field, str) else type(field).__name__
        raise UnsafeQueryValue(f"invalid field name {shown!r}")


def _operator(field: str, operator: Operator | str) -> Operator:
    try:
        return Operator(operator)
    except ValueError:
        raise UnsafeQueryValue(f"unsupported operator for field {field}") from None


def _list_value(field: str, value: str | Sequence[str]) -> str:
    items = [value] if isinstance(value, str) else list(value)
    if not items:
        raise UnsafeQueryValue(f"empty list of values for field {field}")
    for item in items:
        if not isinstance(item, str):
            raise UnsafeQueryValue(f"list values for field {field} must be strings")
        if "," in item:
            raise UnsafeQueryValue(f"a value for field {field} contains a comma")
        _check_value(field, item, allow_empty=True)
    return ",".join(items)


def _check_value(field: str, value: str, allow_empty: bool = False) -> None:
    reason = unsafe_reason(value)
    if reason is None and not value and not allow_empty:
        reason = "is empty (use ISEMPTY)"
    if reason is not None:
        raise UnsafeQueryValue(f"value for field {field} {reason}")


def unsafe_reason(value: str) -> str | None:
    """Why `value` may not go into an encoded query, or None when it is safe."""
    if "^" in value:
        return "contains '^'"
    if "@" in value:
        return "contains '@'"
    if any(_is_control(char) for char in value):
        return "contains a control character"
    if value.lstrip().lower().startswith("javascript:"):
        return "starts with 'javascript:'"
    if "123textquery321" in value.lower():
        return "contains a text-search marker"
    return None


def _is_control(char: str) -> bool:
    return unicodedata.category(char) in ("Cc", "Zl", "Zp")
