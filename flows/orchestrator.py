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
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, Field

from flows.cache import MetadataCache
from flows.errors import RecordNotFound, TemplateError
from flows.models import Employee
from flows.templates import (
    FIELD_RE,
    PLACEHOLDER_RE,
    FilterCriterion,
    Template,
    TemplateSet,
)
from flows.values import attributed_comment, map_row, plain_part
from servicenow.client import DisplayValue, Record, ServiceNowClient
from servicenow.query import LIST_OPERATORS, Operator, Query

log = logging.getLogger(__name__)

# Filled from the resolved employee only; a caller's values for these names are ignored.
USER_VARIABLES = frozenset({"UserSysId", "UserEmail", "UserName", "UserDepartmentSysId"})
JOURNAL_FIELDS = frozenset({"comments", "work_notes"})
IDEMPOTENCY_TTL_S = 24 * 3600
Guard = Callable[[dict[str, Any]], None]


@dataclass(frozen=True)
class RecordSpec:
    """Which table, which fields and in which shape (display values, reference links)."""

    table: str
    fields: tuple[str, ...]
    display_value: DisplayValue = False
    exclude_reference_link: bool = True


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
        attribute_comments: bool = False,
    ) -> None:
        self.client = client
        self.templates = templates
        self.cache = cache
        # The ServiceNow account Snowdesk writes with (when known): a change it made was made
        # for the employee whose record it is, so employees read "you", not "admin".
        self.acting_user_name = acting_user_name
        # Service mode: ServiceNow sees only the integration account, so a comment says who
        # wrote it (with the employee's identity, ServiceNow itself records the author).
        self.attribute_comments = attribute_comments

    def attributed(self, user: Employee, text: str) -> str:
        """A comment as it is written to ServiceNow: prefixed with its author in service mode."""
        if not self.attribute_comments:
            return text
        return attributed_comment(user.name or user.user_name or user.email or "an employee", text)

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

    async def created(
        self, scenario: str, user: Employee | None, idempotency_key: str
    ) -> ScenarioResult:
        """What a create run with this key made (no row when it made nothing), as `run`
        answered it; nothing is asked of ServiceNow."""
        template = self.templates.get(scenario)
        made = await self.cache.get(_idempotency_key(template, user, idempotency_key))
        return self._result(template, [made] if made is not None else [])

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
            record = await self._get(spec, query)
            return self._result(template, [record] if record else [])
        page = await self.client.list(
            spec.table,
            query,
            spec.fields,
            limit=page_size,
            offset=offset or template.offset,
            display_value=spec.display_value,
            exclude_reference_link=spec.exclude_reference_link,
            count=count,
        )
        return self._result(template, page.rows, page.total)

    async def _get(self, spec: RecordSpec, query: Query) -> Record | None:
        """Common Get Record: the first record matching `query` (in its order), or None."""
        page = await self.client.list(
            spec.table,
            query,
            spec.fields,
            limit=1,
            display_value=spec.display_value,
            exclude_reference_link=spec.exclude_reference_link,
        )
        return page.rows[0] if page.rows else None

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
        spec = _spec(template)
        return await self.client.create(
            spec.table,
            values,
            spec.fields,
            display_value=spec.display_value,
            exclude_reference_link=spec.exclude_reference_link,
            correlation_field=correlation if idempotency_key else None,
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
        found = await self._get(found_spec, build_query(template, variables))
        if found is None:
            raise RecordNotFound(variables.get("Number"))
        if guard is not None:
            guard(map_row(template, found))
        values = build_values(template, variables)
        journal = [name for name in values if name in JOURNAL_FIELDS]
        return await self.client.update(
            spec.table,
            plain_part(found["sys_id"], "value"),
            values,
            spec.fields,
            display_value=spec.display_value,
            exclude_reference_link=spec.exclude_reference_link,
            journal_fields=journal,
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
    groups: list[list[tuple[str, Operator, str | tuple[str, ...]]]] = []
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
) -> tuple[str, Operator, str | tuple[str, ...]] | None:
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
    if clause.operator in LIST_OPERATORS:
        # IN / NOT IN take ServiceNow's comma-separated list; each item is checked on its own.
        return field, clause.operator, tuple(item.strip() for item in value.split(","))
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
