"""Compile a parsed encoded query to parameterised SQL (values are always bound, never formatted).

Identifiers in the SQL come only from the table definitions, never from the request: a field the
table does not have makes its term drop out, as ServiceNow ignores invalid terms. Queries come
from `equery.parse`, which has already evaluated `javascript:` values.
"""

from __future__ import annotations

from dataclasses import dataclass

from servicenow.emulator.equery import (
    Cond,
    Group,
    Item,
    Join,
    QueryError,
    Related,
    TextQuery,
    Where,
)
from servicenow.emulator.schema import TABLES, FieldDef, FieldType, TableDef
from servicenow.query import OrderBy

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
class SqlWhere:
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


def compile_where(table: TableDef, where: Where) -> SqlWhere:
    """The WHERE clause for a parsed query on `table` (child tables filter on their class)."""
    compiler = _Compiler()
    clause = compiler.where(table, where, ROW)
    return SqlWhere(clause, tuple(compiler.params))


class _Compiler:
    """Compiles one query; subqueries (JOIN, RLQUERY) get aliases of their own."""

    def __init__(self) -> None:
        self.params: list[str | int] = []
        self._aliases = 0

    def where(self, table: TableDef, where: Where, alias: str) -> str:
        unions = [self._query(table, query, alias) for query in where.queries]
        clause = "1" if not unions or "1" in unions else " OR ".join(f"({part})" for part in unions)
        if table.base:
            clause = f'({clause}) AND {alias}."sys_class_name" = ?'
            self.params.append(table.name)
        return clause

    def _query(self, table: TableDef, query: tuple[Group, ...], alias: str) -> str:
        groups = []
        for group in query:
            items = [sql for item in group if (sql := self._item(table, item, alias))]
            if items:
                groups.append(" OR ".join(f"({item})" for item in items))
        return " AND ".join(f"({group})" for group in groups) or "1"

    def _alias(self) -> str:
        self._aliases += 1
        return f"{ROW}{self._aliases}"

    def _item(self, table: TableDef, item: Item, alias: str) -> str | None:
        if isinstance(item, Cond):
            return self._condition(table, item, alias)
        if isinstance(item, TextQuery):
            return self._text(table, item, alias)
        if isinstance(item, Join):
            return self._join(table, item, alias)
        return self._related(table, item, alias)

    def _join(self, table: TableDef, join: Join, alias: str) -> str | None:
        other = TABLES.get(join.other_table)
        column = resolve(table, join.field, alias)
        if other is None or column is None or join.other_field not in other.fields:
            raise QueryError(f"JOIN names an unknown table or field: {join.other_table}")
        inner = self._alias()
        condition = self.where(other, join.where, inner)
        return (
            f'EXISTS (SELECT 1 FROM "{other.storage}" AS {inner} '
            f'WHERE {inner}."{join.other_field}" = {column.sql} AND {condition})'
        )

    def _related(self, table: TableDef, related: Related, alias: str) -> str:
        other = TABLES.get(related.table)
        if other is None or related.field not in other.fields:
            raise QueryError(f"RLQUERY names an unknown table or field: {related.table}")
        inner = self._alias()
        condition = self.where(other, related.where, inner)
        counted = (
            f'(SELECT COUNT(*) FROM "{other.storage}" AS {inner} '
            f'WHERE {inner}."{related.field}" = {alias}.sys_id AND {condition})'
        )
        self.params.append(related.count)
        return f"{counted} {related.op} ?"

    def _text(self, table: TableDef, query: TextQuery, alias: str) -> str:
        """Every word somewhere in the record's text (a stand-in for the Zing text index:
        no stemming, no ranking, substring matches)."""
        texts = [name for name, field in table.fields.items() if field.type is FieldType.STRING]
        per_word = []
        for word in query.words:
            pattern = _like_pattern(word, "%{}%")
            checks = [f"{alias}.\"{name}\" LIKE ? ESCAPE '\\'" for name in texts]
            self.params.extend(pattern for _ in texts)
            if any(field.type is FieldType.JOURNAL for field in table.fields.values()):
                checks.append(
                    "EXISTS (SELECT 1 FROM sys_journal_field AS j WHERE j.element_id = "
                    f"{alias}.sys_id AND j.value LIKE ? ESCAPE '\\')"
                )
                self.params.append(pattern)
            per_word.append(" OR ".join(checks) or "0")
        return " AND ".join(f"({check})" for check in per_word)

    def _condition(self, table: TableDef, term: Cond, alias: str) -> str | None:
        column = resolve(table, term.field, alias)
        if column is None:
            return None
        op, value, params = term.op, term.value, self.params
        if op in _LIKES:
            return _compile_like(display_column(column), op, value, params)
        if op in ("IN", "NOT IN"):
            items = value.split(",")
            params.extend(items)
            marks = ", ".join("?" for _ in items)
            return f"{column.sql} {op} ({marks})"
        if op in ("ISEMPTY", "EMPTYSTRING"):
            return f"{column.sql} = ''"
        if op == "ISNOTEMPTY":
            return f"{column.sql} != ''"
        if op == "ANYTHING":
            return "1"
        if op in _FIELD_COMPARISONS:
            other = resolve(table, value, alias)
            return f"{column.sql} {_FIELD_COMPARISONS[op]} {other.sql}" if other else None
        if op in ("BETWEEN", "ON", "NOTON"):
            low, high = value.split("@")
            inside = (
                f"({_compile_comparison(column, '>=', low, params)} AND "
                f"{_compile_comparison(column, '<=', high, params)})"
            )
            return f"NOT {inside}" if op == "NOTON" else inside
        return _compile_comparison(column, op, value, params)


_LIKES = frozenset({"LIKE", "NOT LIKE", "STARTSWITH", "ENDSWITH"})
_FIELD_COMPARISONS = {
    "SAMEAS": "=",
    "NSAMEAS": "!=",
    "GT_FIELD": ">",
    "LT_FIELD": "<",
    "GT_OR_EQUALS_FIELD": ">=",
    "LT_OR_EQUALS_FIELD": "<=",
}


def _compile_comparison(column: Column, op: str, value: str, params: list[str | int]) -> str:
    if op in ("<", "<=", ">", ">=") and column.numeric and _is_int(value):
        params.append(int(value))
        return f"(CAST({column.sql} AS INTEGER) {op} ? AND {column.sql} != '')"
    params.append(value)
    return f"{column.sql} {op} ?"


def _like_pattern(value: str, shape: str) -> str:
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return shape.format(escaped)


def _compile_like(column: Column, op: str, value: str, params: list[str | int]) -> str:
    shape = {"STARTSWITH": "{}%", "ENDSWITH": "%{}"}.get(op, "%{}%")
    params.append(_like_pattern(value, shape))
    negate = "NOT " if op == "NOT LIKE" else ""
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
