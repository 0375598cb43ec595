"""What the HR and IT system handlers share about records: finding one by number, mapping a
row to its result model, "you" for changes made through Snowdesk, the open/closed filter, the
guard against changing a closed record, and choice labels in the employee's language.

The common Create / Get / List / Update Record operations themselves are the orchestrator's
(`flows/orchestrator.py`): one Table API round trip each, from a template.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

from pydantic import BaseModel

from flows.cache import MetadataCache
from flows.errors import NotAllowed, RecordNotFound
from flows.models import Choice, Employee, ListFilter, RecordUpdates
from flows.orchestrator import Orchestrator, ScenarioResult
from i18n import DEFAULT, N_, _, current_language
from servicenow.auth import as_service
from servicenow.query import unsafe_reason

M = TypeVar("M", bound=BaseModel)
# A list the employee's own change makes stale at once (its scope's generation moves on); an
# agent's change shows in "my tickets" / "my cases" after at most this long.
LIST_TTL_S = 60
SEARCH_MAX = 100  # longer than any number or summary words worth searching for
SEARCH_RESULTS = 10
_SYS_ID = re.compile(r"^[0-9a-f]{32}$")


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


def search_terms(text: str) -> dict[str, str]:
    """The variables of a search for `text` in numbers and summaries; empty text = no search
    clause, so the employee's most recent records. Refuses what no safe query can carry."""
    words = " ".join(text.split())[:SEARCH_MAX]
    if not words:
        return {}
    if unsafe_reason(words) is not None:
        raise NotAllowed("I can only search for words and numbers")
    return {"SearchText": words}


def record_lookup(number: str | None) -> dict[str, str]:
    """Variables that find one record by number (`INC0010001`) or sys_id; None = the latest."""
    if number is None:
        return {}
    if _SYS_ID.match(number):
        return {"SysId": number}
    return {"Number": number.strip().upper()}


YOU = N_("you, through Snowdesk")


def your_changes(updates: RecordUpdates, acting_user_name: str) -> RecordUpdates:
    """A change made with Snowdesk's own account was made for this employee: say "you"."""
    if acting_user_name and updates.updated_by == acting_user_name:
        return updates.model_copy(update={"updated_by": _(YOU)})
    return updates


# What "open", "closed" and "all" mean for the `active` filter of a list scenario.
ACTIVE_FILTER: dict[ListFilter, str | None] = {"open": "true", "closed": "false", "all": None}


def must_be_open(noun: str) -> Callable[[dict[str, Any]], None]:
    """A guard that refuses to change a closed record, naming it (`noun` a msgid: "the case")."""

    def guard(row: dict[str, Any]) -> None:
        if not row.get("active", True):
            raise NotAllowed(_("{record} is closed").format(record=row.get("number") or _(noun)))

    return guard


def list_scope(desk: str, user: Employee) -> str:
    """The cache scope of one employee's lists on one desk (`tickets/…`, `cases/…`)."""
    return f"{desk}/{user.sys_id}"


async def cached_page(
    cache: MetadataCache, scope: str, page: str, model: type[M], read: Callable[[], Awaitable[M]]
) -> M:
    """A list page from the cache, else `read()` and keep it until the scope changes (or
    `LIST_TTL_S`); HR and IT lists are cached by this one rule."""
    key = f"{scope}/{await cache.generation(scope)}/{page}"

    async def load() -> dict[str, Any]:
        return (await read()).model_dump(mode="json")

    return model.model_validate(await cache.get_or_load(key, load, ttl_seconds=LIST_TTL_S))


async def read_choices(orch: Orchestrator, scenario: str, element: str, key: str) -> list[Choice]:
    """A field's choices (value + label) from `sys_choice` with labels in the turn's language,
    English where the instance has no labels in it; read once per language for the metadata
    TTL however many turns ask at once (HR case states and incident categories alike)."""
    language = current_language()

    async def load() -> list[dict[str, str]]:
        with as_service():  # shared metadata: the integration account's, in hybrid mode
            rows = (await orch.run(scenario, {"Element": element, "Language": language}, None)).rows
            if not rows and language != DEFAULT:
                variables = {"Element": element, "Language": DEFAULT}
                rows = (await orch.run(scenario, variables, None)).rows
        return [{"value": r["value"], "label": r["label"]} for r in rows]

    cached = await orch.cache.get_or_load(f"{key}/{language}", load)
    return [Choice.model_validate(item) for item in cached]


async def read_page(
    orch: Orchestrator,
    scenario: str,
    user: Employee,
    filter: ListFilter,
    offset: int,
    page_size: int,
) -> tuple[ScenarioResult, dict[str, Any]]:
    """One counted page of a list scenario (open, closed or all of the user's records), and the
    fields every `Page` takes from it; tickets and cases alike."""
    active = ACTIVE_FILTER[filter]
    variables = {"Active": active} if active else {}
    result = await orch.run(scenario, variables, user, limit=page_size, offset=offset, count=True)
    fields = {
        "filter": filter,
        "offset": offset,
        "page_size": page_size,
        "total": result.total or 0,
        "as_of": datetime.now(UTC),
    }
    return result, fields
