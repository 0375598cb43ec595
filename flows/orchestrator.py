"""The Common Orchestrator: runs a scenario's template through one common record operation.

`run(scenario, variables, user)` resolves FilterCriteria (a clause whose optional variable is
absent is dropped; a required one must be given), SortCriteria, Limit/Offset, display options,
UserParameters and GlobalParameters, then maps the answer through OutputFieldMapping into rows
keyed by the snake_case of each OutputName. The resolved employee's variables (`UserSysId`,
`UserEmail`, `UserName`, `UserDepartmentSysId`) are added from `user`, never from what a user
typed. A clause with `Join: OR` is ORed with the clauses before it back to the last AND clause.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any

from pydantic import BaseModel, Field

from flows.cache import MetadataCache
from flows.errors import RecordNotFound, TemplateError
from flows.models import Comment, Employee
from flows.records import RecordSpec, create_record, get_record, list_records, update_record
from flows.templates import (
    FIELD_RE,
    PLACEHOLDER_RE,
    FilterCriterion,
    OutputField,
    Template,
    TemplateSet,
)
from servicenow.client import Record, ServiceNowClient
from servicenow.query import Operator, Query

log = logging.getLogger(__name__)

# Filled from the resolved employee only; a caller's values for these names are ignored.
USER_VARIABLES = frozenset({"UserSysId", "UserEmail", "UserName", "UserDepartmentSysId"})
JOURNAL_FIELDS = frozenset({"comments", "work_notes"})
IDEMPOTENCY_TTL_S = 24 * 3600
_JOURNAL_HEADER = re.compile(
    r"^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}) - (.+?) \((Additional comments|Work notes)\)\s*$"
)
Guard = Callable[[dict[str, Any]], None]


class ScenarioResult(BaseModel):
    """What a scenario gave back: mapped rows and, for counted lists, the total."""

    scenario: str
    rows: list[dict[str, Any]] = Field(default_factory=list)
    total: int | None = None

    @property
    def first(self) -> dict[str, Any] | None:
        """The single row of a get/create/update, or None when nothing matched."""
        return self.rows[0] if self.rows else None


class Orchestrator:
    """Runs scenarios against one ServiceNow connection; shared by every system handler."""

    def __init__(
        self,
        client: ServiceNowClient,
        templates: TemplateSet,
        cache: MetadataCache,
        acting_user_name: str = "",
    ) -> None:
        self.client = client
        self.templates = templates
        self.cache = cache
        # The ServiceNow account Snowdesk writes with (when known): a change it made was made
        # for the employee whose record it is, so employees read "you", not "admin".
        self.acting_user_name = acting_user_name

    @property
    def instance_url(self) -> str:
        """The instance's base URL, for links to records."""
        return self.client.base_url

    async def run(
        self,
        scenario: str,
        variables: Mapping[str, str],
        user: Employee | None,
        *,
        limit: int | None = None,
        offset: int | None = None,
        count: bool = False,
        idempotency_key: str | None = None,
        guard: Guard | None = None,
    ) -> ScenarioResult:
        """Run one scenario. `guard` sees the record an UPDATE found, before anything is written
        (raise to refuse); `idempotency_key` makes a create or journal update happen once."""
        template = self.templates.get(scenario)
        resolved = _with_user(variables, user)
        if idempotency_key:
            cached = await self.cache.get(_idempotency_key(template, user, idempotency_key))
            if cached is not None:
                return self._result(template, [cached])
        if template.operation == "READ":
            return await self._read(template, resolved, limit, offset, count)
        if template.operation == "CREATE":
            record = await self._create(template, resolved, user, idempotency_key)
        else:
            record = await self._update(template, resolved, guard)
        if idempotency_key:
            key = _idempotency_key(template, user, idempotency_key)
            await self.cache.set(key, record, ttl_seconds=IDEMPOTENCY_TTL_S)
        return self._result(template, [record])

    async def _read(
        self,
        template: Template,
        variables: Mapping[str, str],
        limit: int | None,
        offset: int | None,
        count: bool,
    ) -> ScenarioResult:
        spec = _spec(template)
        query = build_query(template, variables)
        page_size = limit or template.limit or 100
        if page_size == 1 and not count and not offset:
            record = await get_record(self.client, spec, query)
            return self._result(template, [record] if record else [])
        page = await list_records(
            self.client, spec, query, page_size, offset or template.offset, count
        )
        return self._result(template, page.rows, page.total)

    async def _create(
        self,
        template: Template,
        variables: Mapping[str, str],
        user: Employee | None,
        idempotency_key: str | None,
    ) -> Record:
        values = build_values(template, variables)
        correlation = template.correlation_field
        if correlation and idempotency_key:
            values[correlation] = correlation_id(template, user, idempotency_key)
        return await create_record(
            self.client, _spec(template), values, correlation if idempotency_key else None
        )

    async def _update(
        self, template: Template, variables: Mapping[str, str], guard: Guard | None
    ) -> Record:
        spec = _spec(template)
        found_spec = RecordSpec(
            spec.table,
            tuple(dict.fromkeys(("sys_id", *spec.fields))),
            spec.display_value,
            spec.exclude_reference_link,
        )
        found = await get_record(self.client, found_spec, build_query(template, variables))
        if found is None:
            raise RecordNotFound(variables.get("Number"))
        if guard is not None:
            guard(map_row(template, found))
        values = build_values(template, variables)
        journal = [name for name in values if name in JOURNAL_FIELDS]
        return await update_record(
            self.client, spec, _plain(found["sys_id"], "value"), values, journal
        )

    def _result(
        self, template: Template, rows: list[Record], total: int | None = None
    ) -> ScenarioResult:
        mapped = [map_row(template, row) for row in rows]
        return ScenarioResult(scenario=template.scenario, rows=mapped, total=total)


def _with_user(variables: Mapping[str, str], user: Employee | None) -> dict[str, str]:
    resolved = {k: v for k, v in variables.items() if k not in USER_VARIABLES}
    if user is not None:
        resolved |= {
            "UserSysId": user.sys_id,
            "UserEmail": user.email,
            "UserName": user.user_name,
            "UserDepartmentSysId": user.department_sys_id,
        }
    return resolved


def _spec(template: Template) -> RecordSpec:
    fields = tuple(dict.fromkeys(item.field_name for item in template.output_field_mapping))
    return RecordSpec(
        template.table,
        fields or ("sys_id",),
        template.display_system_references,
        template.exclude_reference_links,
    )


def _field(template: Template, field: str, variables: Mapping[str, str], where: str) -> str | None:
    match = PLACEHOLDER_RE.match(field)
    if not match:
        return field
    name = variables.get(match.group(1))
    if name is None:
        return None
    if not FIELD_RE.match(name):
        raise TemplateError(template.scenario, where, f"{name!r} is not a field name")
    return name


def build_query(template: Template, variables: Mapping[str, str]) -> Query:
    """The encoded query of a READ or UPDATE; clauses with an absent optional variable drop.

    Dropping a clause of an OR group only narrows the group; a group left empty drops whole.
    """
    groups: list[list[tuple[str, Operator, str]]] = []
    for index, clause in enumerate(template.filter_criteria):
        if clause.join == "AND":
            groups.append([])
        term = _term(template, clause, variables, f"FilterCriteria.{index}")
        if term is not None:
            groups[-1].append(term)
    query = Query()
    for group in filter(None, groups):
        query = query.where(*group[0])
        for term in group[1:]:
            query = query.or_where(*term)
    for order in template.sort_criteria:
        query = query.order_by(order.field_name, descending=order.operator == "DESC")
    return query


def _term(
    template: Template, clause: FilterCriterion, variables: Mapping[str, str], where: str
) -> tuple[str, Operator, str] | None:
    """One clause's (field, operator, value), or None when its optional variable is absent."""
    field = _field(template, clause.field_name, variables, where)
    if clause.variable_name is None:
        value: str | None = clause.value or ""
    else:
        value = variables.get(clause.variable_name) or None
    if field is None or value is None:
        if clause.required:
            missing = clause.variable_name or clause.field_name
            raise TemplateError(template.scenario, where, f"variable {missing} is required")
        return None
    return field, clause.operator, value


def build_values(template: Template, variables: Mapping[str, str]) -> dict[str, str]:
    """The field values a CREATE or UPDATE writes: globals first, then the user's parameters."""
    values = {item.field_name: item.value for item in template.global_parameters}
    for index, param in enumerate(template.user_parameters):
        where = f"UserParameters.{index}"
        field = _field(template, param.field_name, variables, where)
        value = variables.get(param.parameter_name)
        if field is None or value is None:
            if param.required:
                raise TemplateError(
                    template.scenario, where, f"variable {param.parameter_name} is required"
                )
            continue
        if param.value_map is not None:
            if value not in param.value_map:
                raise TemplateError(
                    template.scenario, f"{where}.ValueMap", f"has no value for {value!r}"
                )
            value = param.value_map[value]
        values[field] = value
    return values


def correlation_id(template: Template, user: Employee | None, key: str) -> str:
    """A stable, query-safe id of one create: the same key always gives the same id."""
    digest = hashlib.sha256(f"{template.scenario}|{_owner(user)}|{key}".encode()).hexdigest()
    return f"snowdesk-{digest[:32]}"


def _idempotency_key(template: Template, user: Employee | None, key: str) -> str:
    return f"idem/{correlation_id(template, user, key)}"


def _owner(user: Employee | None) -> str:
    return user.sys_id if user else "-"


def map_row(template: Template, row: Record) -> dict[str, Any]:
    """A raw Table API row → {snake_case(OutputName): typed value}."""
    return {
        snake_case(item.output_name): convert(item, row.get(item.field_name, ""))
        for item in template.output_field_mapping
    }


def convert(item: OutputField, raw: Any) -> Any:
    """One field's value, picking the display or stored part and converting its type."""
    text = _plain(raw, item.part)
    if item.type == "datetime":
        return parse_datetime(text)
    if item.type == "boolean":
        return text.lower() == "true"
    if item.type == "integer":
        return int(text) if text.lstrip("-").isdigit() else None
    if item.type == "journal":
        return [c.model_dump() for c in parse_journal(text)]
    if item.type == "html":
        return html_to_text(text)
    return text


class _TextOnly(HTMLParser):
    """Collects the text of an HTML fragment; block ends become line breaks."""

    BLOCKS = frozenset({"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4"})

    HIDDEN = frozenset({"script", "style"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.hidden += tag in self.HIDDEN
        if tag == "br":
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        self.hidden -= tag in self.HIDDEN and self.hidden > 0
        if tag in self.BLOCKS:
            self.parts.append("\n")


def html_to_text(text: str) -> str:
    """Rich text (HR case descriptions are HTML) as the plain text a chat shows."""
    if "<" not in text and "&" not in text:
        return text
    parser = _TextOnly()
    parser.feed(text)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    return "\n".join(line for line in lines if line)


def _plain(raw: Any, part: str) -> str:
    if isinstance(raw, dict):
        key = "display_value" if part == "display" else "value"
        raw = raw.get(key, raw.get("value", raw.get("display_value", "")))
    return "" if raw is None else str(raw)


def parse_datetime(text: str) -> datetime | None:
    """`YYYY-MM-DD HH:MM:SS` (UTC in value mode) → an aware datetime; empty → None."""
    if not text:
        return None
    try:
        return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    except ValueError:
        return None


def parse_journal(text: str) -> list[Comment]:
    """Customer-visible entries of a rendered journal field, newest first; work notes dropped.

    Headers read `<time> - <author> (Additional comments)`; the time is taken as UTC (the
    integration user's time zone should be UTC, which `snowdesk doctor` reports).
    """
    entries: list[Comment] = []
    header: re.Match[str] | None = None
    lines: list[str] = []
    for line in [*text.splitlines(), "0000-00-00 00:00:00 - end (Work notes)"]:
        match = _JOURNAL_HEADER.match(line)
        if match is None:
            lines.append(line)
            continue
        if header is not None and header.group(3) == "Additional comments":
            created = parse_datetime(header.group(1))
            if created is not None:
                body = "\n".join(lines).strip()
                entries.append(Comment(author=header.group(2), created_at=created, text=body))
        header, lines = match, []
    return entries


def snake_case(name: str) -> str:
    """`StateValue` → `state_value`, `SysId` → `sys_id`, `already_snake` unchanged."""
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()
