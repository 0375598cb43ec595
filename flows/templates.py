"""Template configurations: the ESS JSON format, validated with pydantic, loaded at start-up.

One JSON file per scenario in `flows/templates/`, overridable from an admin directory. The ESS
sample configurations load unchanged; Snowdesk's additions are optional keys (`Aliases`,
`Required`, `Join`, `Part`, `Type`, `CorrelationField`). `Join: OR` ORs a clause with the ones
before it (ServiceNow's `^OR`); a unary operator (`ISEMPTY`) needs neither VariableName nor Value. A `FieldName` written in braces (`{MatchField}`)
names a variable that holds the field name; it is validated like any other field name.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from flows.errors import TemplateError
from servicenow.query import UNARY, Operator

log = logging.getLogger(__name__)

BUILTIN_DIR = Path(__file__).with_name("templates")
FIELD_RE = re.compile(r"^[a-z0-9_.]+$")
PLACEHOLDER_RE = re.compile(r"^\{([A-Za-z][A-Za-z0-9_]*)\}$")
TABLE_RE = re.compile(r"^[a-z0-9_]+$")
SYS_ID_VARIABLES = frozenset({"UserSysId", "UserDepartmentSysId"})
# Reference fields of the tables Snowdesk uses: `=` on them compares with a sys_id.
KNOWN_REFERENCE_FIELDS = frozenset(
    {
        "opened_for",
        "opened_by",
        "subject_person",
        "caller_id",
        "assigned_to",
        "assignment_group",
        "hr_service",
        "closed_by",
        "resolved_by",
        "company",
        "location",
        "department",
        "manager",
        "cmdb_ci",
        "parent",
    }
)


def _field_name(value: str) -> str:
    if not (FIELD_RE.match(value) or PLACEHOLDER_RE.match(value)):
        raise ValueError(f"{value!r} is not a field name (lower-case letters, digits, _ and .)")
    return value


FieldName = Annotated[str, Field(min_length=1, max_length=80), AfterValidator(_field_name)]


class _Strict(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="forbid", frozen=True)


class FilterCriterion(_Strict):
    """One clause: a field compared with a variable's value or with a constant."""

    field_name: FieldName = Field(alias="FieldName")
    operator: Operator = Field(alias="Operator")
    variable_name: str | None = Field(None, alias="VariableName")
    value: str | None = Field(None, alias="Value")
    required: bool = Field(False, alias="Required")
    join: Literal["AND", "OR"] = Field("AND", alias="Join")

    @field_validator("join", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _one_source(self) -> FilterCriterion:
        if self.operator in UNARY:
            if self.variable_name is not None or self.value:
                raise ValueError(f"operator {self.operator.value} takes no VariableName or Value")
        elif (self.variable_name is None) == (self.value is None):
            raise ValueError("give exactly one of VariableName or Value")
        return self


class SortCriterion(_Strict):
    """ORDERBY (ASC) or ORDERBYDESC (DESC) on one field."""

    field_name: FieldName = Field(alias="FieldName")
    operator: Literal["ASC", "DESC"] = Field("ASC", alias="Operator")

    @field_validator("operator", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value


class OutputField(_Strict):
    """ServiceNow field → the name the bot understands (and how to read its value)."""

    field_name: FieldName = Field(alias="FieldName")
    output_name: str = Field(alias="OutputName", min_length=1)
    part: Literal["display", "value"] = Field("display", alias="Part")
    type: Literal["string", "datetime", "boolean", "integer", "journal", "html"] = Field(
        "string", alias="Type"
    )


class UserParameter(_Strict):
    """A value that comes from the user (or the resolved employee) and is written to a field."""

    parameter_name: str = Field(alias="ParameterName", min_length=1)
    field_name: FieldName = Field(alias="FieldName")
    type: str = Field("string", alias="Type")
    required: bool = Field(False, alias="Required")
    # The bot's value → the value this field takes, e.g. urgency "high" → "1" (and, in a
    # second parameter of the same name, impact "high" → "2"): an admin's choice, not code.
    value_map: dict[str, str] | None = Field(None, alias="ValueMap")


class GlobalParameter(_Strict):
    """A constant sent on every call (e.g. the assignment group)."""

    parameter_name: str = Field("", alias="ParameterName")
    field_name: FieldName = Field(alias="FieldName")
    value: str = Field(alias="Value")


class Template(_Strict):
    """One scenario's template configuration."""

    scenario: str = Field(alias="Scenario", min_length=1)
    aliases: tuple[str, ...] = Field((), alias="Aliases")
    description: str = Field("", alias="Description")
    table: str = Field(alias="Table")
    operation: Literal["CREATE", "READ", "UPDATE"] = Field(alias="Operation")
    filter_criteria: tuple[FilterCriterion, ...] = Field((), alias="FilterCriteria")
    sort_criteria: tuple[SortCriterion, ...] = Field((), alias="SortCriteria")
    limit: int | None = Field(None, alias="Limit", ge=1, le=10000)
    offset: int = Field(0, alias="Offset", ge=0)
    display_system_references: bool | Literal["all"] = Field(False, alias="DisplaySystemReferences")
    exclude_reference_links: bool = Field(False, alias="ExcludeReferenceLinks")
    output_field_mapping: tuple[OutputField, ...] = Field((), alias="OutputFieldMapping")
    user_parameters: tuple[UserParameter, ...] = Field((), alias="UserParameters")
    global_parameters: tuple[GlobalParameter, ...] = Field((), alias="GlobalParameters")
    correlation_field: str | None = Field(None, alias="CorrelationField")

    def choice_names(self, field_name: str) -> dict[str, str]:
        """The bot's word for each value this template writes to `field_name`: its ValueMap read
        backwards (urgency "1" → "high"), the first word of a value winning."""
        names: dict[str, str] = {}
        for param in self.user_parameters:
            if param.field_name == field_name and param.value_map:
                for name, value in param.value_map.items():
                    names.setdefault(value, name)
        return names

    @field_validator("operation", mode="before")
    @classmethod
    def _upper_operation(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("table")
    @classmethod
    def _table(cls, value: str) -> str:
        if not TABLE_RE.match(value):
            raise ValueError(f"{value!r} is not a table name")
        return value

    @field_validator("correlation_field")
    @classmethod
    def _correlation(cls, value: str | None) -> str | None:
        return None if value is None else _field_name(value)

    @model_validator(mode="after")
    def _consistent(self) -> Template:
        if self.operation == "UPDATE" and not self.filter_criteria:
            raise ValueError("an UPDATE needs FilterCriteria that find the record it changes")
        if self.operation == "CREATE" and self.filter_criteria:
            raise ValueError("a CREATE takes no FilterCriteria")
        if self.filter_criteria and self.filter_criteria[0].join == "OR":
            raise ValueError("the first FilterCriteria clause cannot Join OR")
        return self

    @property
    def is_list(self) -> bool:
        """READ with Limit > 1 (or none) returns a list; Limit 1 is a single record."""
        return self.operation == "READ" and self.limit != 1

    @property
    def variables(self) -> frozenset[str]:
        """Every variable name the template reads."""
        names = {c.variable_name for c in self.filter_criteria if c.variable_name}
        names |= {p.parameter_name for p in self.user_parameters}
        for field in self._all_field_names():
            match = PLACEHOLDER_RE.match(field)
            if match:
                names.add(match.group(1))
        return frozenset(names)

    def _all_field_names(self) -> Iterator[str]:
        for group in (
            self.filter_criteria,
            self.user_parameters,
            self.global_parameters,
            self.output_field_mapping,
        ):
            yield from (item.field_name for item in group)

    def warnings(self) -> list[str]:
        """Pitfalls that load but silently match nothing (or too much), each with its fix."""
        found = self._widened_user_filters()
        for clause in self.filter_criteria:
            if (
                clause.field_name in KNOWN_REFERENCE_FIELDS
                and clause.operator == Operator("=")
                and clause.variable_name not in SYS_ID_VARIABLES
            ):
                source = clause.variable_name or clause.value
                found.append(
                    f"filter `{clause.field_name}={{{source}}}` compares a reference field, which "
                    f"holds a sys_id, with {source}; unless {source} is a sys_id it matches "
                    f"nothing. Fix: filter `{clause.field_name}.email` for an email, or "
                    f"`{clause.field_name}` with VariableName `UserSysId`"
                )
        return found

    def _widened_user_filters(self) -> list[str]:
        """A `UserSysId` clause ORed with others no longer limits the read to the user."""
        groups: list[list[FilterCriterion]] = []
        for clause in self.filter_criteria:
            if clause.join == "AND" or not groups:
                groups.append([])
            groups[-1].append(clause)
        return [
            f"filter `{clause.field_name}={{UserSysId}}` is ORed with other clauses, so the "
            "read is not limited to the user. Fix: give the user filter its own AND clause"
            for group in groups
            if len(group) > 1
            for clause in group
            if clause.variable_name == "UserSysId"
        ]


class TemplateSet:
    """Every loaded template, by scenario name and alias; `warnings` lists pitfalls found."""

    def __init__(self, templates: Iterable[tuple[Template, str]]) -> None:
        self._by_name: dict[str, Template] = {}
        self.sources: dict[str, str] = {}
        self.warnings: list[str] = []
        for template, source in templates:
            self._add(template, source)

    def _add(self, template: Template, source: str) -> None:
        name = self.canonical(template.scenario)
        previous = self._by_name.get(name)
        aliases = set(template.aliases) | (set(previous.aliases) if previous else set())
        template = template.model_copy(update={"scenario": name, "aliases": tuple(sorted(aliases))})
        self._by_name[name] = template
        self.sources[name] = source
        self.warnings = [w for w in self.warnings if not w.startswith(f"{name}:")]
        self.warnings += [f"{name}: {source}: {text}" for text in template.warnings()]

    def canonical(self, name: str) -> str:
        """The scenario name an alias (e.g. an ESS `msdyn_...` name) stands for."""
        if name in self._by_name:
            return name
        for template in self._by_name.values():
            if name in template.aliases:
                return template.scenario
        return name

    def get(self, name: str) -> Template:
        """The template of a scenario, by name or alias; `TemplateError` when unknown."""
        template = self._by_name.get(self.canonical(name))
        if template is None:
            raise TemplateError(name, "Scenario", "no template configuration has this name")
        return template

    def __iter__(self) -> Iterator[Template]:
        return iter(self._by_name.values())

    def __len__(self) -> int:
        return len(self._by_name)


def parse_template(text: str, source: str) -> Template:
    """One template from JSON text; `TemplateError` names the source, the field and the reason."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise TemplateError(source, f"line {exc.lineno}", f"not valid JSON ({exc.msg})") from None
    try:
        return Template.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "(document)"
        raise TemplateError(source, field, first["msg"]) from None


def _read_dir(directory: Path) -> list[tuple[Template, str]]:
    if not directory.is_dir():
        raise TemplateError(str(directory), "SNOWDESK_TEMPLATES_DIR", "is not a directory")
    return [
        (parse_template(path.read_text(encoding="utf-8"), str(path)), str(path))
        for path in sorted(directory.glob("*.json"))
    ]


def load_templates(admin_dir: Path | None = None) -> TemplateSet:
    """The built-in templates, then the admin's overrides; logs each pitfall as a warning."""
    templates = TemplateSet(_read_dir(BUILTIN_DIR))
    if admin_dir is not None:
        for template, source in _read_dir(admin_dir):
            templates._add(template, source)
    for warning in templates.warnings:
        log.warning("template.pitfall", extra={"detail": warning})
    return templates
