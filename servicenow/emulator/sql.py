"""Compile a parsed encoded query to parameterised SQL (values are always bound, never formatted).

Identifiers in the SQL come only from the table definitions, never from the request: a field the
table does not have makes its term drop out, as ServiceNow ignores invalid terms.
"""

from __future__ import annotations

from dataclasses import dataclass

from servicenow.emulator.schema import TABLES, FieldDef, FieldType, TableDef
from servicenow.query import Operator as Op
from servicenow.query import OrderBy, ParsedQuery, Term

ROW = "t"


@dataclass(frozen=True)
class Column:
    """A (possibly dot-walked) field as an SQL expression."""

    sql: str
    field: FieldDef

    @property
    def numeric(self) -> bool:
        """Compared and sorted as a number."""
        return self.field.type is FieldType.INTEGER or self.field.numeric


@dataclass(frozen=True)
class Where:
    """A WHERE clause with its bound parameters."""

    sql: str
    params: tuple[str | int, ...]


def resolve(table: TableDef, path: str, alias: str = ROW) -> Column | None:
    """The SQL expression of `caller_id.email`-style paths, or None when a part is unknown."""
    names = path.split(".")
    field = table.fields.get(names[0])
    if field is None:
        return None
    sql = f'{alias}."{field.name}"'
    for name in names[1:]:
        target = TABLES.get(field.reference) if field.type is FieldType.REFERENCE else None
        if target is None or name not in target.fields:
            return None
        sql = f'COALESCE((SELECT "{name}" FROM "{target.storage}" WHERE sys_id = {sql}), \'\')'
        field = target.fields[name]
    return Column(sql, field)


def display_column(column: Column) -> Column:
    """The referenced record's display value, which LIKE and friends compare on a reference."""
    target = TABLES.get(column.field.reference)
    if column.field.type is not FieldType.REFERENCE or target is None or not target.display:
        return column
    sql = (
        f'COALESCE((SELECT "{target.display}" FROM "{target.storage}" '
        f"WHERE sys_id = {column.sql}), '')"
    )
    return Column(sql, target.fields[target.display])


def compile_where(table: TableDef, parsed: ParsedQuery) -> Where:
    """The WHERE clause for a parsed query on `table` (child tables filter on their class)."""
    params: list[str | int] = []
    unions = [_compile_query(table, query, params) for query in parsed.queries]
    clause = "1" if not unions or "1" in unions else " OR ".join(f"({part})" for part in unions)
    if table.base:
        clause = f'({clause}) AND {ROW}."sys_class_name" = ?'
        params.append(table.name)
    return Where(clause, tuple(params))


def _compile_query(
    table: TableDef, query: tuple[tuple[Term, ...], ...], params: list[str | int]
) -> str:
    groups = []
    for group in query:
        terms = [sql for term in group if (sql := _compile_term(table, term, params))]
        if terms:
            groups.append(" OR ".join(f"({term})" for term in terms))
    return " AND ".join(f"({group})" for group in groups) or "1"


def _compile_term(table: TableDef, term: Term, params: list[str | int]) -> str | None:
    column = resolve(table, term.field)
    if column is None:
        return None
    op, value = term.operator, term.value
    if op in (Op.LIKE, Op.NOT_LIKE, Op.STARTSWITH, Op.ENDSWITH):
        return _compile_like(display_column(column), op, value, params)
    if op in (Op.IN, Op.NOT_IN):
        items = value.split(",")
        params.extend(items)
        marks = ", ".join("?" for _ in items)
        return f"{column.sql} {'NOT IN' if op is Op.NOT_IN else 'IN'} ({marks})"
    if op is Op.ISEMPTY:
        return f"{column.sql} = ''"
    if op is Op.ISNOTEMPTY:
        return f"{column.sql} != ''"
    if op is Op.ANYTHING:
        return "1"
    return _compile_comparison(column, op, value, params)


def _compile_comparison(column: Column, op: Op, value: str, params: list[str | int]) -> str:
    if op in (Op.LT, Op.LE, Op.GT, Op.GE) and column.numeric and _is_int(value):
        params.append(int(value))
        return f"(CAST({column.sql} AS INTEGER) {op.value} ? AND {column.sql} != '')"
    params.append(value)
    return f"{column.sql} {op.value} ?"


def _compile_like(column: Column, op: Op, value: str, params: list[str | int]) -> str:
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = {
        Op.STARTSWITH: f"{escaped}%",
        Op.ENDSWITH: f"%{escaped}",
    }.get(op, f"%{escaped}%")
    params.append(pattern)
    negate = "NOT " if op is Op.NOT_LIKE else ""
    return f"{column.sql} {negate}LIKE ? ESCAPE '\\'"


def compile_order(table: TableDef, order_by: tuple[OrderBy, ...]) -> str:
    """ORDER BY keys that exist on the table, insertion order last so paging is stable."""
    keys = []
    for order in order_by:
        column = resolve(table, order.field)
        if column is None:
            continue
        expr = f"CAST({column.sql} AS INTEGER)" if column.numeric else column.sql
        keys.append(f"{expr} {'DESC' if order.descending else 'ASC'}")
    keys.append(f"{ROW}.rowid ASC")
    return ", ".join(keys)


def _is_int(value: str) -> bool:
    try:
        int(value)
    except ValueError:
        return False
    return True
