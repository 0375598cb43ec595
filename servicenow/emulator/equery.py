"""The emulator's reading of `sysparm_query`: the whole encoded-query language a client may send.

This is not the bot's query builder (`servicenow/query.py` builds only safe queries and stays
strict); this parser reads what any ServiceNow client sends — `JOIN`, `RLQUERY`, `BETWEEN`,
`123TEXTQUERY321` and `javascript:` helpers — and evaluates it. Two rules:

- a term naming a field the table lacks is dropped, as ServiceNow drops it (reference §6);
- a term ServiceNow would evaluate but the emulator cannot (`DATEPART`, `RELATIVEGT`, an unknown
  `javascript:` call, ...) is refused with a 400, so results are never silently widened.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from servicenow.query import OrderBy

# Spelled as ServiceNow encodes them; longest first so `<=` wins over `<`, `NOT IN` over `IN`.
SUPPORTED = (
    "GT_OR_EQUALS_FIELD",
    "LT_OR_EQUALS_FIELD",
    "EMPTYSTRING",
    "ISNOTEMPTY",
    "STARTSWITH",
    "NOT LIKE",
    "ENDSWITH",
    "ANYTHING",
    "GT_FIELD",
    "LT_FIELD",
    "NSAMEAS",
    "BETWEEN",
    "ISEMPTY",
    "NOT IN",
    "SAMEAS",
    "NOTON",
    "LIKE",
    "<=",
    ">=",
    "!=",
    "ON",
    "IN",
    "<",
    ">",
    "=",
)
# Operators a real instance evaluates that the emulator does not: refused, never ignored.
UNSUPPORTED = (
    "IN_HIERARCHY",
    "CHANGESFROM",
    "RELATIVEGT",
    "RELATIVELT",
    "RELATIVEGE",
    "RELATIVELE",
    "RELATIVEEE",
    "VALCHANGES",
    "CHANGESTO",
    "MORETHAN",
    "LESSTHAN",
    "DATEPART",
    "DYNAMIC",
)
UNARY = frozenset({"ISEMPTY", "ISNOTEMPTY", "ANYTHING", "EMPTYSTRING"})
TEXT_QUERY = "123TEXTQUERY321"
_FIELD = r"[a-z0-9_]+(?:\.[a-z0-9_]+)*"
_OPERATORS = sorted((*SUPPORTED, *UNSUPPORTED), key=len, reverse=True)
_TERM = re.compile(
    rf"(?P<field>{_FIELD})(?P<op>{'|'.join(re.escape(op) for op in _OPERATORS)})(?P<value>.*)",
    re.DOTALL,
)
_JOIN = re.compile(
    r"JOIN(?P<table>[a-z0-9_]+)\.(?P<field>[a-z0-9_]+)="
    r"(?P<other_table>[a-z0-9_]+)\.(?P<other_field>[a-z0-9_]+)(?:!(?P<condition>.*))?",
    re.DOTALL,
)
_RLQUERY = re.compile(
    r"RLQUERY(?P<table>[a-z0-9_]+)\.(?P<field>[a-z0-9_]+),"
    r"(?P<op>>=|<=|!=|=|>|<)(?P<count>\d+)(?P<m2m>,m2m)?"
)
_FIELD_ONLY = re.compile(_FIELD)
_JS_CALL = re.compile(r"javascript:\s*gs\.(?P<name>[A-Za-z]+)\((?P<args>[^()]*)\)\s*;?\s*")
_DATETIME = "%Y-%m-%d %H:%M:%S"


class QueryError(Exception):
    """A query the emulator cannot evaluate faithfully; answered with a 400 envelope."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


@dataclass(frozen=True)
class Context:
    """Who asks and when: what `javascript:gs.getUserID()` and the date helpers read."""

    user_id: str
    user_name: str
    time_zone: str
    now: float


@dataclass(frozen=True)
class Cond:
    """`<field><op><value>`; for `BETWEEN`/`ON` the value holds the evaluated `a@b` bounds."""

    field: str
    op: str
    value: str = ""


@dataclass(frozen=True)
class TextQuery:
    """`123TEXTQUERY321=<words>`: every word in some text field or journal entry."""

    words: tuple[str, ...]


@dataclass(frozen=True)
class Join:
    """`JOIN<table>.<field>=<other>.<other_field>!<condition>`: a matching row exists there."""

    field: str
    other_table: str
    other_field: str
    where: Where


@dataclass(frozen=True)
class Related:
    """`RLQUERY<related>.<reference>,<op><count>^...^ENDRLQUERY`: counts referencing rows."""

    table: str
    field: str
    op: str
    count: int
    where: Where


Item = Cond | TextQuery | Join | Related
Group = tuple[Item, ...]


@dataclass(frozen=True)
class Where:
    """A union (`^NQ`) of queries; each an AND-list of OR-groups."""

    queries: tuple[tuple[Group, ...], ...] = ()


@dataclass(frozen=True)
class Parsed:
    """The filter and the sort keys of one `sysparm_query`."""

    where: Where
    order_by: tuple[OrderBy, ...] = ()


def parse(encoded: str, context: Context) -> Parsed:
    """Read an encoded query; raises `QueryError` for what the emulator cannot evaluate."""
    pieces = encoded.split("^")
    order_by: list[OrderBy] = []
    where, rest = _read(pieces, context, order_by, inside_related=False)
    if rest:
        raise QueryError("ENDRLQUERY without a matching RLQUERY")
    return Parsed(where, tuple(order_by))


def _read(
    pieces: list[str], context: Context, order_by: list[OrderBy], inside_related: bool
) -> tuple[Where, list[str]]:
    """Consume pieces up to an `ENDRLQUERY` (returned unconsumed with what follows)."""
    queries: list[list[list[Item]]] = [[]]
    while pieces:
        piece = pieces.pop(0)
        if piece == "ENDRLQUERY":
            if inside_related:
                return _freeze(queries), pieces
            raise QueryError("ENDRLQUERY without a matching RLQUERY")
        if piece.startswith("ORDERBY"):
            _add_order(piece, order_by)
            continue
        if piece.startswith("NQ"):
            queries.append([])
            piece = piece[2:]
        joins_previous = piece.startswith("OR")
        piece = piece[2:] if joins_previous else piece
        item = _item(piece, pieces, context, order_by)
        if item is None:
            continue
        current = queries[-1]
        # RLQUERY cannot be ORed (ServiceNow treats ^ORRLQUERY as ^RLQUERY).
        if joins_previous and current and not isinstance(item, Related):
            current[-1].append(item)
        else:
            current.append([item])
    return _freeze(queries), []


def _freeze(queries: list[list[list[Item]]]) -> Where:
    return Where(tuple(tuple(tuple(group) for group in query) for query in queries if query))


def _add_order(piece: str, order_by: list[OrderBy]) -> None:
    descending = piece.startswith("ORDERBYDESC")
    field = piece[len("ORDERBYDESC") :] if descending else piece[len("ORDERBY") :]
    if _FIELD_ONLY.fullmatch(field):
        order_by.append(OrderBy(field, descending))


def _item(piece: str, pieces: list[str], context: Context, order_by: list[OrderBy]) -> Item | None:
    if piece in ("", "EQ"):
        return None
    if piece.startswith("RLQUERY"):
        return _related(piece, pieces, context, order_by)
    if piece.startswith("JOIN"):
        return _join(piece, context)
    if piece.startswith("SUBQUERY"):
        raise QueryError("SUBQUERY is not supported by the emulator")
    if piece.startswith(TEXT_QUERY):
        value = piece[len(TEXT_QUERY) :]
        if not value.startswith("="):
            raise QueryError(f"{TEXT_QUERY} supports only the = operator")
        words = tuple(word for word in value[1:].split() if word)
        return TextQuery(words) if words else None
    return _condition(piece, context)


def _related(piece: str, pieces: list[str], context: Context, order_by: list[OrderBy]) -> Related:
    match = _RLQUERY.fullmatch(piece)
    if match is None:
        raise QueryError(f"cannot read related-list query {piece[:80]!r}")
    where, rest = _read(pieces, context, order_by, inside_related=True)
    pieces[:] = rest
    return Related(match["table"], match["field"], match["op"], int(match["count"]), where)


def _join(piece: str, context: Context) -> Join:
    match = _JOIN.fullmatch(piece)
    if match is None:
        raise QueryError(f"cannot read join {piece[:80]!r}")
    condition = match["condition"]
    inner = _condition(condition, context) if condition else None
    where = Where((((inner,),),) if inner else ())
    return Join(match["field"], match["other_table"], match["other_field"], where)


def _condition(piece: str, context: Context) -> Cond | None:
    match = _TERM.fullmatch(piece)
    if match is None:
        return None  # not a term at all: ServiceNow ignores it too
    field, op, value = match["field"], match["op"], match["value"]
    if op in UNSUPPORTED:
        raise QueryError(f"operator {op} (on {field}) is not supported by the emulator")
    if op in UNARY:
        return Cond(field, op) if not value else None
    if op in ("BETWEEN", "ON", "NOTON"):
        return Cond(field, op, _bounds(op, value, context))
    if op in ("IN", "NOT IN"):
        return Cond(field, op, ",".join(evaluate(item, context) for item in value.split(",")))
    return Cond(field, op, evaluate(value, context))


def _bounds(op: str, value: str, context: Context) -> str:
    """`a@b` for BETWEEN; `label@start@end` for ON / NOTON (the label is only for people)."""
    parts = value.split("@")
    if op != "BETWEEN":
        parts = parts[1:]
    if len(parts) != 2:
        raise QueryError(f"{op} needs two bounds separated by @")
    return "@".join(evaluate(part, context) for part in parts)


def evaluate(value: str, context: Context) -> str:
    """A value, with a leading `javascript:` helper evaluated as the instance would."""
    if not value.startswith("javascript:"):
        return value
    call = _JS_CALL.fullmatch(value)
    if call is None:
        raise QueryError(f"the emulator cannot evaluate {value[:80]!r}")
    name = call["name"]
    args = [arg.strip().strip("'\"") for arg in call["args"].split(",") if arg.strip()]
    if name == "getUserID" and not args:
        return context.user_id
    if name == "getUserName" and not args:
        return context.user_name
    moment = _date_helper(name, args, context)
    if moment is None:
        raise QueryError(f"the emulator cannot evaluate {value[:80]!r}")
    return moment.astimezone(UTC).strftime(_DATETIME)


def _date_helper(name: str, args: list[str], context: Context) -> datetime | None:
    """The GlideSystem date helpers, computed in the caller's time zone (as the instance does)
    and compared in UTC, the storage format."""
    zone = _zone(context.time_zone)
    now = datetime.fromtimestamp(context.now, zone)
    midnight = datetime.combine(now.date(), time(), zone)
    day = timedelta(days=1)
    last_second = timedelta(seconds=1)
    fixed = {
        "beginningOfToday": midnight,
        "endOfToday": midnight + day - last_second,
        "beginningOfYesterday": midnight - day,
        "endOfYesterday": midnight - last_second,
        "beginningOfTomorrow": midnight + day,
        "endOfTomorrow": midnight + 2 * day - last_second,
    }
    if name in fixed and not args:
        return fixed[name]
    if name == "dateGenerate" and len(args) == 2:
        return _date_generate(args[0], args[1], zone)
    if name == "dateGenerate" and len(args) == 1:
        # pysnow's QueryBuilder.between sends one "date time" argument.
        date_text, _, time_text = args[0].partition(" ")
        return _date_generate(date_text, time_text or "start", zone)
    if len(args) != 1 or not args[0].lstrip("-").isdigit():
        return None
    count = int(args[0])
    relative = {
        "daysAgo": now - count * day,
        "daysAgoStart": midnight - count * day,
        "daysAgoEnd": midnight - (count - 1) * day - last_second,
        "hoursAgo": now - timedelta(hours=count),
        "minutesAgo": now - timedelta(minutes=count),
    }
    return relative.get(name)


def _date_generate(date_text: str, time_text: str, zone: ZoneInfo) -> datetime:
    """`gs.dateGenerate('2026-01-31', '23:59:59')`; the time may also be `start` or `end`."""
    clock = {"start": "00:00:00", "end": "23:59:59"}.get(time_text, time_text)
    try:
        return datetime.strptime(f"{date_text} {clock}", _DATETIME).replace(tzinfo=zone)
    except ValueError as invalid:
        raise QueryError(f"gs.dateGenerate cannot read {date_text!r}, {time_text!r}") from invalid


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")
