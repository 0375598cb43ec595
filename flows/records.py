"""Common Create / Get / List / Update Record: one Table API round trip each.

The orchestrator resolves a template into a `RecordSpec` and a query or values; these functions
only talk to the client, so a topic or handler never builds a request itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel

from flows.errors import NotAllowed, RecordNotFound
from flows.models import ListFilter, RecordUpdates
from servicenow.client import DisplayValue, Page, Record, ServiceNowClient
from servicenow.query import Query

M = TypeVar("M", bound=BaseModel)
_SYS_ID = re.compile(r"^[0-9a-f]{32}$")


@dataclass(frozen=True)
class RecordSpec:
    """Which table, which fields and in which shape (display values, reference links)."""

    table: str
    fields: tuple[str, ...]
    display_value: DisplayValue = False
    exclude_reference_link: bool = True


async def get_record(client: ServiceNowClient, spec: RecordSpec, query: Query) -> Record | None:
    """The first record matching `query` (in its order), or None."""
    page = await list_records(client, spec, query, limit=1)
    return page.rows[0] if page.rows else None


async def list_records(
    client: ServiceNowClient,
    spec: RecordSpec,
    query: Query,
    limit: int,
    offset: int = 0,
    count: bool = False,
) -> Page:
    """One page of records matching `query`; `count` asks ServiceNow for the total."""
    return await client.list(
        spec.table,
        query,
        spec.fields,
        limit=limit,
        offset=offset,
        display_value=spec.display_value,
        exclude_reference_link=spec.exclude_reference_link,
        count=count,
    )


async def create_record(
    client: ServiceNowClient,
    spec: RecordSpec,
    values: Mapping[str, str],
    correlation_field: str | None = None,
) -> Record:
    """Insert one record; with a correlation field it is never created twice."""
    return await client.create(
        spec.table,
        values,
        spec.fields,
        display_value=spec.display_value,
        exclude_reference_link=spec.exclude_reference_link,
        correlation_field=correlation_field,
    )


async def update_record(
    client: ServiceNowClient,
    spec: RecordSpec,
    sys_id: str,
    values: Mapping[str, str],
    journal_fields: Sequence[str] = (),
) -> Record:
    """Change one record; journal appends (`comments`) are never written twice."""
    return await client.update(
        spec.table,
        sys_id,
        values,
        spec.fields,
        display_value=spec.display_value,
        exclude_reference_link=spec.exclude_reference_link,
        journal_fields=journal_fields,
    )


def row_to_model(model: type[M], row: Mapping[str, Any], **extra: Any) -> M:
    """A mapped row → a result model: keeps the model's fields, the latest comment first."""
    data = {key: value for key, value in row.items() if key in model.model_fields}
    comments = row.get("comments")
    if "latest_comment" in model.model_fields and isinstance(comments, list) and comments:
        data["latest_comment"] = comments[0]
    return model.model_validate(data | extra)


def found(row: dict[str, Any] | None, number: str | None) -> dict[str, Any]:
    """The row a get found; `RecordNotFound` (missing or not the user's) when there is none."""
    if row is None:
        raise RecordNotFound(number)
    return row


def record_lookup(number: str | None) -> dict[str, str]:
    """Variables that find one record by number (`INC0010001`) or sys_id; None = the latest."""
    if number is None:
        return {}
    if _SYS_ID.match(number):
        return {"SysId": number}
    return {"Number": number.strip().upper()}


YOU = "you, through Snowdesk"


def your_changes(updates: RecordUpdates, acting_user_name: str) -> RecordUpdates:
    """A change made with Snowdesk's own account was made for this employee: say "you"."""
    if acting_user_name and updates.updated_by == acting_user_name:
        return updates.model_copy(update={"updated_by": YOU})
    return updates


# What "open", "closed" and "all" mean for the `active` filter of a list scenario.
ACTIVE_FILTER: dict[ListFilter, str | None] = {"open": "true", "closed": "false", "all": None}


def must_be_open(noun: str) -> Callable[[dict[str, Any]], None]:
    """A guard that refuses to change a closed record, naming it ("the case", "the ticket")."""

    def guard(row: dict[str, Any]) -> None:
        if not row.get("active", True):
            raise NotAllowed(f"{row.get('number', noun)} is closed")

    return guard
