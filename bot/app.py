"""The composition root: `create_app(settings)` builds the aiohttp app and everything the bot needs.

Nothing is built at import time, so tests can build as many apps as they like. The topics, card
models and dialogs (half of the import time) are loaded and built off the event loop once
ServiceNow is connected, so the bot listens sooner; a turn arriving before they are ready waits.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any

import jwt
from aiohttp import web
from botbuilder.core import ConversationState, Storage, TurnContext, UserState
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity, ActivityTypes

from bot import __version__
from bot.config import BotFrameworkConfig, Settings
from bot.connector import PooledBotFrameworkAuthentication
from bot.deadline import TurnDeadline
from bot.identity import resolve_employee
from bot.servicenow_setup import ServiceNowConnection, connect
from bot.storage import close_storage, create_storage, describe_storage
from dialogs.recognizer import Recognizer
from flows.errors import new_reference_id
from flows.models import Employee
from flows.orchestrator import Orchestrator

if TYPE_CHECKING:
    from bot.handler import SnowdeskBot

log = logging.getLogger(__name__)

SETTINGS = web.AppKey("settings", Settings)
SERVICENOW = web.AppKey("servicenow", ServiceNowConnection)
STORAGE = web.AppKey("storage", Storage)
BOT: web.AppKey[asyncio.Task[SnowdeskBot]] = web.AppKey("bot")
AUTHENTICATION = web.AppKey("authentication", PooledBotFrameworkAuthentication)
Connector = Callable[[Settings], Awaitable[ServiceNowConnection]]


def create_app(
    settings: Settings,
    *,
    storage: Storage | None = None,
    connect_servicenow: Connector | None = None,
    recognizer: Recognizer | None = None,
) -> web.Application:
    """Build the bot's aiohttp application: `/api/messages`, `/healthz`, state and ServiceNow."""
    owns_storage = storage is None
    storage = storage or create_storage(settings.storage_url)
    conversation_state = ConversationState(storage)
    user_state = UserState(storage)
    recognizer = recognizer or Recognizer.load(settings.triggers_dir, settings.ticket_prefix_list)
    # Connector clients are reused across turns and replies share one pooled session.
    authentication = PooledBotFrameworkAuthentication(BotFrameworkConfig(settings))
    adapter = CloudAdapter(authentication)
    adapter.use(TurnDeadline())
    adapter.on_turn_error = _turn_error_handler(conversation_state)

    def build_bot(connection: ServiceNowConnection) -> SnowdeskBot:
        """Everything a turn needs, built once ServiceNow is connected: no late binding."""
        from bot.handler import SnowdeskBot
        from dialogs.base import TopicDeps
        from dialogs.main import MainDialog
        from dialogs.topics import build_topics

        resolver = _employee_resolver(settings, conversation_state, connection.orchestrator)
        deps = TopicDeps(orchestrator=connection.orchestrator, current_employee=resolver)
        main_dialog = MainDialog(build_topics(deps), recognizer)
        return SnowdeskBot(conversation_state, user_state, main_dialog)

    app = web.Application(middlewares=[_plain_errors])
    app[SETTINGS] = settings
    app[STORAGE] = storage
    app[AUTHENTICATION] = authentication
    # The metadata cache (choice labels, HR services) lives in the bot's storage by default.
    connector = connect_servicenow or functools.partial(connect, storage=storage)
    app.cleanup_ctx.append(_servicenow_context(connector, build_bot))
    app.on_cleanup.append(_close_connectors)
    if owns_storage:
        app.on_cleanup.append(_close_storage)
    app.router.add_post("/api/messages", _messages_route(adapter))
    app.router.add_get("/healthz", _healthz)
    app.router.add_get("/privacy", _legal_page(PRIVACY))
    app.router.add_get("/terms", _legal_page(TERMS))
    return app


async def _close_connectors(app: web.Application) -> None:
    await app[AUTHENTICATION].aclose()


async def _close_storage(app: web.Application) -> None:
    await close_storage(app[STORAGE])


# The Teams manifest links to these; admins replace them with their organisation's own.
PRIVACY = (
    "Snowdesk privacy statement. Snowdesk passes what you type to your organisation's "
    "ServiceNow instance to open and read your IT tickets and HR cases. It keeps the state of "
    "your conversation (forms you have not submitted yet) in your organisation's bot storage "
    "and nothing else. Ask your IT department for your organisation's privacy policy."
)
TERMS = (
    "Snowdesk terms of use. Snowdesk is operated by your organisation; its use is governed by "
    "your organisation's IT and HR policies."
)


def _legal_page(text: str) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def page(request: web.Request) -> web.Response:
        return web.Response(text=text, content_type="text/plain")

    return page


def _employee_resolver(
    settings: Settings, conversation_state: ConversationState, orchestrator: Orchestrator
) -> Callable[[TurnContext], Awaitable[Employee]]:
    """Resolve the ServiceNow user once per conversation; the answer lives in conversation state."""
    employee_property = conversation_state.create_property("Employee")

    async def current_employee(context: TurnContext) -> Employee:
        cached = await employee_property.get(context)
        if cached:
            return Employee.model_validate(cached)
        employee = await resolve_employee(context, orchestrator, settings)
        await employee_property.set(context, employee.model_dump())
        return employee

    return current_employee


def _servicenow_context(
    connect_servicenow: Connector, build_bot: Callable[[ServiceNowConnection], SnowdeskBot]
) -> Callable[[web.Application], AsyncIterator[None]]:
    async def servicenow(app: web.Application) -> AsyncIterator[None]:
        connection = await connect_servicenow(app[SETTINGS])
        app[SERVICENOW] = connection
        # Imports and construction are CPU work: a thread, so the app starts listening meanwhile.
        app[BOT] = asyncio.ensure_future(asyncio.to_thread(build_bot, connection))
        log.info("servicenow.connected", extra={"backend": connection.backend_label})
        try:
            yield
        finally:
            # A thread cannot be cancelled: let it finish (a failure has been raised to turns).
            await asyncio.wait([app[BOT]])
            await connection.aclose()

    return servicenow


def _messages_route(
    adapter: CloudAdapter,
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def messages(request: web.Request) -> web.StreamResponse:
        if "application/json" not in request.headers.get("Content-Type", ""):
            raise web.HTTPUnsupportedMediaType(text="Send the activity as application/json.")
        try:
            body = await request.json()
        except ValueError as error:
            raise web.HTTPBadRequest(text="The body is not valid JSON.") from error
        if not isinstance(body, dict) or not body.get("type"):
            raise web.HTTPBadRequest(text="An activity needs a type.")
        try:
            response = await adapter.process(request, await request.app[BOT])
        except (PermissionError, jwt.PyJWTError) as error:
            raise web.HTTPUnauthorized(
                text="The request's credentials were not accepted."
            ) from error
        return response or web.Response(status=201)

    return messages


async def _healthz(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS]
    connection = request.app.get(SERVICENOW)
    body: dict[str, Any] = {
        "status": "ok" if connection is not None else "degraded",
        "version": __version__,
        "servicenow": connection.backend_label if connection else "not connected",
        "storage": describe_storage(settings.storage_url),
        "auth": "anonymous (local only)" if settings.anonymous else "bot framework",
    }
    return web.json_response(body)


@web.middleware
async def _plain_errors(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """HTTP errors keep their status; anything else is a 500 with a reference id, never a trace."""
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except Exception as error:
        reference = new_reference_id()
        log.error(
            "http.error",
            extra={"ref": reference, "path": request.path, "error_type": type(error).__name__},
        )
        raise web.HTTPInternalServerError(text=f"Internal error (reference {reference}).") from None


def _turn_error_handler(
    conversation_state: ConversationState,
) -> Callable[[TurnContext, Exception], Awaitable[None]]:
    async def on_turn_error(context: TurnContext, error: Exception) -> None:
        reference = new_reference_id()
        activity = context.activity
        log.error(
            "turn.error",
            extra={
                "ref": reference,
                "error_type": type(error).__name__,
                "activity_id": activity.id,
                "conversation_id": activity.conversation.id if activity.conversation else "",
            },
        )
        await context.send_activity(
            f"Sorry, something went wrong on my side. Please try again (reference {reference})."
        )
        if activity.channel_id == "emulator":
            await context.send_activity(
                Activity(
                    type=ActivityTypes.trace,
                    name="on_turn_error",
                    label="TurnError",
                    value=f"{type(error).__name__} (reference {reference})",
                    value_type="https://www.botframework.com/schemas/error",
                )
            )
        # A fresh start: the dialog stack that failed is dropped.
        await conversation_state.delete(context)

    return on_turn_error
