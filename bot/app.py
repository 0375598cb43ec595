"""The composition root: `create_app(settings)` builds the aiohttp app and everything the bot needs.

Nothing is built at import time, so tests can build as many apps as they like.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from aiohttp import web
from botbuilder.core import (
    ConversationState,
    PrivateConversationState,
    Storage,
    TurnContext,
    UserState,
)
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity, ActivityTypes

from bot import __version__
from bot.auth import FailClosedAuthentication
from bot.config import BotFrameworkConfig, Settings
from bot.connector import PooledBotFrameworkAuthentication
from bot.conversations import add_conversations
from bot.deadline import BackgroundTurns, TurnDeadline
from bot.edge import MessagesEndpoint
from bot.entitlement import ACCESS_REQUESTS, add_entitlement
from bot.handler import SnowdeskBot
from bot.identity import employee_from_claims, resolve_employee
from bot.notifications import (
    NOTIFICATIONS,
    WebhookEvent,
    add_notifications,
    own_webhook,
    webhook_secret,
)
from bot.servicenow_setup import ServiceNowConnection, connect
from bot.sso import EmployeeIdentity, SsoTokenExchange
from bot.storage import ClaimStore, claims_for, close_storage, create_storage, describe_storage
from dialogs.attachments import AttachmentFetcher, FilePolicy, host_patterns
from dialogs.base import TopicDeps
from dialogs.generative import GenerativeRecognizer
from dialogs.main import MainDialog
from dialogs.recognizer import Recognizer
from dialogs.search import RecordSearch
from dialogs.sign_in import SSO_CLAIMS
from dialogs.topics import build_topics
from flows.errors import new_reference_id
from flows.models import Employee
from flows.orchestrator import Orchestrator
from i18n import DEFAULT, _, language_of_locale, speaking

log = logging.getLogger(__name__)

SETTINGS = web.AppKey("settings", Settings)
SERVICENOW = web.AppKey("servicenow", ServiceNowConnection)
STORAGE = web.AppKey("storage", Storage)
BOT = web.AppKey("bot", SnowdeskBot)
BACKGROUND = web.AppKey("background", BackgroundTurns)
AUTHENTICATION = web.AppKey("authentication", PooledBotFrameworkAuthentication)
# The atomic "first one wins" over the state store (bot.storage.ClaimStore): the edge claims
# each activity id with it; an idempotent create can claim its own key the same way.
CLAIMS = web.AppKey("claims", ClaimStore)
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
    private_state = PrivateConversationState(storage)
    room_state = ConversationState(storage)
    user_state = UserState(storage)
    recognizer = recognizer or Recognizer.load(
        settings.triggers_dir, settings.ticket_prefix_list, model_dir=settings.model_dir
    )
    generative = _generative(settings, recognizer)
    # Connector clients are reused across turns and replies share one pooled session.
    pooled = PooledBotFrameworkAuthentication(BotFrameworkConfig(settings))
    auth = FailClosedAuthentication(pooled, anonymous=settings.anonymous)
    adapter = CloudAdapter(auth)
    adapter.use(TurnDeadline())
    adapter.on_turn_error = _turn_error_handler(private_state)
    secret = webhook_secret(settings)
    claims = claims_for(storage)
    if settings.oauth_connection:
        # Duplicate `signin/tokenExchange` invokes (one per signed-in Teams client) run once.
        adapter.use(SsoTokenExchange(claims, settings.oauth_connection))

    def build_bot(connection: ServiceNowConnection) -> SnowdeskBot:
        """Everything a turn needs, built once ServiceNow is connected: no late binding."""
        resolver = _employee_resolver(settings, user_state, connection.orchestrator)
        deps = TopicDeps(
            orchestrator=connection.orchestrator,
            current_employee=resolver,
            mutes=app[NOTIFICATIONS],  # where topics keep a record's "Stop updates"
        )
        identity = None
        if connection.employee_auth is not None:
            identity = EmployeeIdentity(settings.oauth_connection, connection.employee_auth)
        main_dialog = MainDialog(
            build_topics(deps),
            generative or recognizer,
            identity,
            form_idle_seconds=settings.form_idle_minutes * 60,
        )
        return SnowdeskBot(
            private_state,
            room_state,
            user_state,
            main_dialog,
            RecordSearch(deps),
            bot_app_id=settings.app_id,
            progress_after_seconds=settings.ack_seconds,
            identity=identity,
        )

    app = web.Application(middlewares=[_plain_errors])
    app[SETTINGS] = settings
    app[STORAGE] = storage
    app[BACKGROUND] = BackgroundTurns()
    app[AUTHENTICATION] = pooled
    app[CLAIMS] = claims
    # The metadata cache (choice labels, HR services) lives in the bot's storage by default.
    # The embedded emulator sends its record-changed events to this bot's own webhook.
    connector = connect_servicenow or functools.partial(
        connect, storage=storage, webhook=own_webhook(settings, secret)
    )
    files = AttachmentFetcher(
        FilePolicy(host_patterns(settings.attachment_hosts), anonymous=settings.anonymous)
    )
    app.cleanup_ctx.append(_servicenow_context(connector, build_bot, files))
    if owns_storage:
        app.on_cleanup.append(_close_storage)
    app.on_cleanup.append(functools.partial(_close_auth, auth))
    app.on_cleanup.append(_close_connectors)
    endpoint = MessagesEndpoint(
        adapter, auth, lambda: app[BOT], app[CLAIMS], files, app[BACKGROUND], settings.ack_seconds
    )
    app.router.add_post("/api/messages", endpoint.handle)
    if generative is not None:
        app.on_cleanup.append(_closer(generative))
    app.router.add_get("/healthz", _healthz)
    app.router.add_get("/privacy", _legal_page(PRIVACY))
    app.router.add_get("/terms", _legal_page(TERMS))
    notifier = add_conversations(app, adapter, storage, settings)
    add_entitlement(app, settings, storage, notifier, lambda: app[SERVICENOW].orchestrator)
    notifications = add_notifications(
        app,
        settings,
        storage,
        app[CLAIMS],
        notifier,
        lambda: connected.orchestrator if (connected := app.get(SERVICENOW)) else None,
        secret,
    )
    notifications.listeners.append(functools.partial(_access_ticket_changed, app))
    return app


async def _access_ticket_changed(app: web.Application, event: WebhookEvent) -> None:
    """A webhook event about an access ticket completes its Entra request at once (the
    entitlement poller would, a cycle later)."""
    access, connection = app.get(ACCESS_REQUESTS), app.get(SERVICENOW)
    if access is None or connection is None:
        return
    if event.table == connection.templates.get("Access.GetRequests").table:
        await access.on_record_changed(event.sys_id)


def _generative(settings: Settings, local: Recognizer) -> GenerativeRecognizer | None:
    """The chat-model recogniser in front of the local one, when an endpoint is configured."""
    if not settings.llm_url:
        return None
    return GenerativeRecognizer(
        local, settings.llm_url, settings.llm_key, settings.llm_model, settings.llm_timeout_seconds
    )


def _closer(recognizer: GenerativeRecognizer) -> Callable[[web.Application], Awaitable[None]]:
    async def close(app: web.Application) -> None:
        await recognizer.aclose()

    return close


async def _close_connectors(app: web.Application) -> None:
    await app[AUTHENTICATION].aclose()


async def _close_storage(app: web.Application) -> None:
    await close_storage(app[STORAGE])


async def _close_auth(auth: FailClosedAuthentication, app: web.Application) -> None:
    auth.close()


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
    settings: Settings, user_state: UserState, orchestrator: Orchestrator
) -> Callable[[TurnContext], Awaitable[Employee]]:
    """Resolve the ServiceNow user of the person speaking, kept in *their* user state (across
    conversations, for `SNOWDESK_IDENTITY_TTL`): never shared by a group chat."""
    employee_property = user_state.create_property("Employee")

    async def current_employee(context: TurnContext) -> Employee:
        claims = context.turn_state.get(SSO_CLAIMS)
        subject = str(claims.get("oid") or "") if isinstance(claims, dict) else ""
        cached = await employee_property.get(context)
        if (
            isinstance(cached, dict)
            and cached.get("expires_at", 0) > time.time()
            and cached.get("subject", "") == subject
        ):
            return Employee.model_validate(cached["employee"])
        if isinstance(claims, dict):
            # The employee's own token says who they are (not their Teams profile's email).
            employee = await employee_from_claims(claims, orchestrator, settings)
        else:
            employee = await resolve_employee(context, orchestrator, settings)
        expires_at = time.time() + settings.identity_ttl_seconds
        await employee_property.set(
            context,
            {"employee": employee.model_dump(), "expires_at": expires_at, "subject": subject},
        )
        return employee

    return current_employee


def _servicenow_context(
    connect_servicenow: Connector,
    build_bot: Callable[[ServiceNowConnection], SnowdeskBot],
    files: AttachmentFetcher,
) -> Callable[[web.Application], AsyncIterator[None]]:
    async def servicenow(app: web.Application) -> AsyncIterator[None]:
        connection = await connect_servicenow(app[SETTINGS])
        app[SERVICENOW] = connection
        app[BOT] = build_bot(connection)
        # A user's file link must never make the bot read from ServiceNow itself.
        files.refuse_origin(connection.client.base_url)
        log.info("servicenow.connected", extra={"backend": connection.backend_label})
        try:
            yield
        finally:
            # Turns still running in the background finish before ServiceNow goes away.
            await app[BACKGROUND].close()
            await files.aclose()
            await connection.aclose()

    return servicenow


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
    private_state: PrivateConversationState,
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
        try:
            # Outside the handler's turn, so the language is the activity's locale's alone.
            with speaking(language_of_locale(activity.locale) or DEFAULT):
                sorry = _(
                    "Sorry, something went wrong on my side. Please try again (reference {reference})."
                ).format(reference=reference)
            await context.send_activity(sorry)
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
        except Exception as send_error:  # the channel itself failed: the log line is all we have
            log.warning(
                "turn.error_not_delivered",
                extra={"ref": reference, "error_type": type(send_error).__name__},
            )
        # A fresh start for this person: the dialog stack that failed is dropped (theirs only).
        # A turn can fail before its state was loaded (botbuilder's delete then raises KeyError).
        await private_state.load(context)
        await private_state.delete(context)

    return on_turn_error
