"""`POST /api/entitlement/custom-extension`: Microsoft Entra entitlement management's
custom-extension callout ("launch and wait"), and the poller that completes it.

Entra calls with a bearer token for the bot's app registration; the payload is a
`customExtensionCalloutRequest` whose `data` is an `accessPackageAssignmentRequestCalloutData`.
The endpoint answers 202 at once; the ticket is opened in the background (bot/access_requests.py).
A poller, started with the app, completes the requests whose tickets were closed.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

import httpx
from aiohttp import web
from botbuilder.core import Storage
from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic.alias_generators import to_camel

from bot.access_requests import AccessRequests
from bot.config import Settings
from bot.conversations import Notifier
from bot.entra_tokens import EntraTokenValidator, InvalidCalloutToken, SigningKeysUnavailable
from bot.graph import GraphClient
from flows.access import AccessRequest
from flows.errors import is_outage
from flows.orchestrator import Orchestrator

log = logging.getLogger(__name__)

PATH = "/api/entitlement/custom-extension"
ACCESS_REQUESTS = web.AppKey("access_requests", AccessRequests)
GRAPH_CLIENT = web.AppKey("graph_client", GraphClient)
_ID = re.compile(r"^[A-Za-z0-9-]{1,100}$")
# Ticket creation after the 202 is retried this many times on a ServiceNow outage.
ACCEPT_ATTEMPTS = 5
ACCEPT_FIRST_DELAY_S = 2.0


# -- the payload (Microsoft's documented shape; PascalCase, as Logic Apps show it, reads too) -----


class _Camel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")


class Subject(_Camel):
    """An `accessPackageSubject`: the requestor or the target."""

    object_id: str = ""
    display_name: str = ""
    email: str = Field("", validation_alias=AliasChoices("email", "mail"))
    principal_name: str = ""


class NamedRef(_Camel):
    """An access package, catalog or policy: its id and display name."""

    id: str = ""
    display_name: str = ""
    description: str = ""


class Assignment(_Camel):
    """The `accessPackageAssignment` being delivered."""

    id: str = ""
    state: str = ""
    target: Subject | None = None
    assignment_policy: NamedRef | None = Field(
        None, validation_alias=AliasChoices("assignmentPolicy", "accessPackageAssignmentPolicy")
    )


class CalloutData(_Camel):
    """`accessPackageAssignmentRequestCalloutData`."""

    odata_type: str = Field("", alias="@odata.type")
    stage: str
    custom_extension_stage_instance_id: str
    access_package_assignment_request_id: str
    callback_uri_path: str = ""
    state: str = ""
    request_type: str = ""
    access_package: NamedRef = Field(default_factory=NamedRef)
    access_package_catalog: NamedRef | None = None
    access_package_assignment_policy: NamedRef | None = None
    assignment: Assignment | None = None
    requestor: Subject = Field(default_factory=Subject)
    justification: str = ""

    @field_validator("custom_extension_stage_instance_id", "access_package_assignment_request_id")
    @classmethod
    def _an_id(cls, value: str) -> str:
        if not _ID.match(value):
            raise ValueError("must be an id (letters, digits and '-')")
        return value

    @field_validator("stage")
    @classmethod
    def _stage(cls, value: str) -> str:
        # Entra writes `assignmentRequestApproved` or `AssignmentRequestApproved`.
        if not re.fullmatch(r"[A-Za-z]{1,80}", value):
            raise ValueError("must be a stage name such as assignmentRequestApproved")
        return value[0].lower() + value[1:]


class CalloutPayload(_Camel):
    """`customExtensionCalloutRequest`: `source`, `type` and the callout data."""

    source: str = ""
    type: str = ""
    data: CalloutData

    def to_request(self) -> AccessRequest:
        """What the ticket needs of the callout."""
        data = self.data
        target = (data.assignment.target if data.assignment else None) or data.requestor
        policy = data.access_package_assignment_policy or (
            data.assignment.assignment_policy if data.assignment else None
        )
        return AccessRequest(
            request_id=data.access_package_assignment_request_id,
            stage=data.stage,
            stage_instance_id=data.custom_extension_stage_instance_id,
            package_name=data.access_package.display_name
            or data.access_package.id
            or "an access package",
            package_id=data.access_package.id,
            policy_name=policy.display_name if policy else "",
            requestor_name=data.requestor.display_name,
            requestor_email=data.requestor.email or data.requestor.principal_name,
            target_name=target.display_name,
            target_email=target.email or target.principal_name,
            justification=data.justification,
        )


def _camel_keys(value: Any) -> Any:
    """PascalCase keys → camelCase, recursively (`@odata.type` stays as it is)."""
    if isinstance(value, dict):
        return {
            (
                k[0].lower() + k[1:] if isinstance(k, str) and k and k[0].isupper() else k
            ): _camel_keys(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_camel_keys(item) for item in value]
    return value


# -- the route -----------------------------------------------------------------------------


class _Entitlement:
    """What the route and the poller share, built when the app starts."""

    def __init__(self) -> None:
        self.validator: EntraTokenValidator | None = None
        self.access: AccessRequests | None = None
        self.tasks: set[asyncio.Task[None]] = set()


ENTITLEMENT = web.AppKey("entitlement", _Entitlement)


async def custom_extension(request: web.Request) -> web.StreamResponse:
    """Validate the callout's token and payload, answer 202 and open the ticket afterwards."""
    state = request.app[ENTITLEMENT]
    if state.validator is None or state.access is None:
        raise web.HTTPServiceUnavailable(
            text="Ticketed access is not configured: set ENTRA_TENANT_ID (or "
            "MicrosoftAppTenantId) and MicrosoftAppId or ENTITLEMENT_AUDIENCE."
        )
    try:
        claims = await state.validator.validate(request.headers.get("Authorization", ""))
    except SigningKeysUnavailable:
        raise web.HTTPServiceUnavailable(
            text="The tenant's signing keys cannot be read just now; try again later."
        ) from None
    except InvalidCalloutToken as refused:
        log.info("entitlement.callout.refused", extra={"reason": str(refused)})
        raise web.HTTPUnauthorized(
            text="The request's credentials were not accepted.",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        ) from None
    try:
        payload = CalloutPayload.model_validate(_camel_keys(await request.json()))
    except ValueError as invalid:  # JSON and pydantic errors alike
        field = _first_field(invalid)
        raise web.HTTPBadRequest(text=f"The callout payload is not valid{field}.") from None
    access_request = payload.to_request()
    log.info(
        "entitlement.callout.accepted",
        extra={
            "stage": access_request.stage,
            "request_id": access_request.request_id,
            "caller_app": str(claims.get("appid") or claims.get("azp") or "")[:40],
        },
    )
    _in_background(state, _accept(state.access, access_request, payload.data.requestor.object_id))
    return web.json_response(
        {"status": "accepted", "customExtensionStageInstanceId": access_request.stage_instance_id},
        status=202,
    )


def _first_field(error: ValueError) -> str:
    if isinstance(error, ValidationError) and error.errors():
        where = ".".join(str(part) for part in error.errors()[0]["loc"])
        return f" ({where}: {error.errors()[0]['msg']})"
    return " (not JSON)"


def _in_background(state: _Entitlement, work: Coroutine[Any, Any, None]) -> None:
    task: asyncio.Task[None] = asyncio.ensure_future(work)
    state.tasks.add(task)
    task.add_done_callback(state.tasks.discard)


async def _accept(access: AccessRequests, request: AccessRequest, object_id: str) -> None:
    """Open the ticket; a ServiceNow outage is retried with back-off (Entra already has its 202)."""
    delay = ACCEPT_FIRST_DELAY_S
    for attempt in range(1, ACCEPT_ATTEMPTS + 1):
        try:
            await access.accept(request, object_id)
            return
        except Exception as error:
            outage = is_outage(error)
            log.warning(
                "entitlement.ticket.failed",
                extra={
                    "request_id": request.request_id,
                    "attempt": attempt,
                    "error_type": type(error).__name__,
                },
                exc_info=not outage,
            )
            if not outage or attempt == ACCEPT_ATTEMPTS:
                return
            await asyncio.sleep(delay)
            delay *= 2


# -- wiring --------------------------------------------------------------------------------


def add_entitlement(
    app: web.Application,
    settings: Settings,
    storage: Storage,
    notifier: Notifier,
    orchestrator: Callable[[], Orchestrator],
) -> None:
    """Register the callout route and, when configured, start the ticket poller with the app."""
    state = _Entitlement()
    app[ENTITLEMENT] = state
    app.router.add_post(PATH, custom_extension)
    if settings.entitlement_enabled:
        app.cleanup_ctx.append(_context(settings, storage, notifier, orchestrator))


def _context(
    settings: Settings,
    storage: Storage,
    notifier: Notifier,
    orchestrator: Callable[[], Orchestrator],
) -> Callable[[web.Application], AsyncIterator[None]]:
    async def entitlement(app: web.Application) -> AsyncIterator[None]:
        state = app[ENTITLEMENT]
        async with httpx.AsyncClient(headers={"Accept": "application/json"}) as http:
            state.validator = EntraTokenValidator(
                http,
                settings.entra_authority_host,
                settings.entra_tenant,
                settings.callout_audience,
            )
            graph = GraphClient(settings, http)
            state.access = AccessRequests(settings, storage, orchestrator, graph, notifier)
            app[GRAPH_CLIENT] = graph
            app[ACCESS_REQUESTS] = state.access
            poller = asyncio.ensure_future(
                _poll_forever(state.access, settings.entitlement_poll_seconds)
            )
            try:
                yield
            finally:
                poller.cancel()
                for task in list(state.tasks):
                    task.cancel()
                await asyncio.gather(poller, *state.tasks, return_exceptions=True)
                await graph.credentials.aclose()

    return entitlement


async def _poll_forever(access: AccessRequests, interval: float) -> None:
    """Every `interval` seconds, one bounded poll cycle; a failed cycle is logged, not fatal."""
    while True:
        await asyncio.sleep(interval)
        try:
            report = await access.poll_once()
        except Exception as error:
            log.warning(
                "entitlement.poll.failed",
                extra={"error_type": type(error).__name__},
                exc_info=not is_outage(error),
            )
            continue
        if report.closed or report.warned or report.failed:
            log.info(
                "entitlement.poll",
                extra={
                    "checked": report.checked,
                    "closed": len(report.closed),
                    "warned": len(report.warned),
                    "failed": len(report.failed),
                },
            )
