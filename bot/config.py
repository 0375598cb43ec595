"""Settings, read once from environment variables and `.env` (pydantic-settings).

Bot Framework names are kept as Bot Framework spells them (`MicrosoftAppId`, ...).
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from botbuilder.schema import CallerIdConstants
from botframework.connector.auth import AuthenticationConstants
from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from servicenow.client import DEFAULT_POLICY


class IdentityMode(StrEnum):
    """Whose identity ServiceNow sees (`SNOWDESK_IDENTITY_MODE`)."""

    SERVICE = "service"  # the integration account; comments say who wrote them
    HYBRID = "hybrid"  # records as the employee, metadata with the integration account
    USER = "user"  # every call as the employee; no integration account at all


class ServiceNowAuth(StrEnum):
    """How Snowdesk authenticates to a real ServiceNow instance."""

    BASIC = "basic"
    OAUTH2 = "oauth2"
    ENTRA_CERTIFICATE = "entra_certificate"
    ENTRA_USER = "entra_user"


def _alias(*names: str) -> AliasChoices:
    return AliasChoices(*names)


class Settings(BaseSettings):
    """Every setting of Snowdesk; `env.TEMPLATE` documents each one."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True
    )

    app_id: str = Field("", validation_alias=_alias("MicrosoftAppId", "app_id"))
    app_password: str = Field("", validation_alias=_alias("MicrosoftAppPassword", "app_password"))
    app_type: str = Field("MultiTenant", validation_alias=_alias("MicrosoftAppType", "app_type"))
    app_tenant_id: str = Field("", validation_alias=_alias("MicrosoftAppTenantId", "app_tenant_id"))
    # Where the signing keys of channel (Teams) and Emulator tokens are published; empty = the
    # public cloud's. Only tests and private clouds change these (`BotOpenIdMetadata` is Bot
    # Framework's own setting key).
    bot_openid_metadata: str = Field(
        "",
        validation_alias=_alias("BotOpenIdMetadata", "BOT_OPENID_METADATA", "bot_openid_metadata"),
    )
    emulator_openid_metadata: str = Field(
        "", validation_alias=_alias("BOT_EMULATOR_OPENID_METADATA", "emulator_openid_metadata")
    )

    host: str = Field("", validation_alias=_alias("HOST", "host"))
    port: int = Field(3978, validation_alias=_alias("PORT", "port"))

    servicenow_instance: str = Field(
        "", validation_alias=_alias("SERVICENOW_INSTANCE", "servicenow_instance")
    )
    servicenow_auth: ServiceNowAuth = Field(
        ServiceNowAuth.BASIC, validation_alias=_alias("SERVICENOW_AUTH", "servicenow_auth")
    )
    servicenow_username: str = Field(
        "", validation_alias=_alias("SERVICENOW_USERNAME", "servicenow_username")
    )
    servicenow_password: str = Field(
        "", validation_alias=_alias("SERVICENOW_PASSWORD", "servicenow_password")
    )
    servicenow_client_id: str = Field(
        "", validation_alias=_alias("SERVICENOW_CLIENT_ID", "servicenow_client_id")
    )
    servicenow_client_secret: str = Field(
        "", validation_alias=_alias("SERVICENOW_CLIENT_SECRET", "servicenow_client_secret")
    )
    servicenow_oauth_grant: str = Field(
        "password", validation_alias=_alias("SERVICENOW_OAUTH_GRANT", "servicenow_oauth_grant")
    )
    # A PEM file of certificates to trust for the instance (e.g. `snowdesk emulator --tls`).
    servicenow_ca_bundle: str = Field(
        "", validation_alias=_alias("SERVICENOW_CA_BUNDLE", "servicenow_ca_bundle")
    )
    entra_tenant_id: str = Field("", validation_alias=_alias("ENTRA_TENANT_ID", "entra_tenant_id"))
    entra_client_id: str = Field("", validation_alias=_alias("ENTRA_CLIENT_ID", "entra_client_id"))
    entra_certificate_path: str = Field(
        "", validation_alias=_alias("ENTRA_CERTIFICATE_PATH", "entra_certificate_path")
    )
    entra_certificate_thumbprint: str = Field(
        "", validation_alias=_alias("ENTRA_CERTIFICATE_THUMBPRINT", "entra_certificate_thumbprint")
    )
    # The secret of ENTRA_CLIENT_ID's registration for on-behalf-of, when it is not the bot's own
    # (default: MicrosoftAppPassword, the bot's registration being the SSO middle tier).
    entra_client_secret: str = Field(
        "", validation_alias=_alias("ENTRA_CLIENT_SECRET", "entra_client_secret")
    )
    servicenow_entra_scope: str = Field(
        "", validation_alias=_alias("SERVICENOW_ENTRA_SCOPE", "servicenow_entra_scope")
    )

    user_match_field: str = Field(
        "email", validation_alias=_alias("SNOWDESK_USER_MATCH_FIELD", "user_match_field")
    )
    demo_user: str = Field(
        "abel.tuter@example.com", validation_alias=_alias("SNOWDESK_DEMO_USER", "demo_user")
    )
    templates_dir: Path | None = Field(
        None, validation_alias=_alias("SNOWDESK_TEMPLATES_DIR", "templates_dir")
    )
    triggers_dir: Path | None = Field(
        None, validation_alias=_alias("SNOWDESK_TRIGGERS_DIR", "triggers_dir")
    )
    ticket_prefixes: str = Field(
        "INC", validation_alias=_alias("SNOWDESK_TICKET_PREFIXES", "ticket_prefixes")
    )
    ack_seconds: float = Field(
        5.0, gt=0, le=10, validation_alias=_alias("SNOWDESK_ACK_SECONDS", "ack_seconds")
    )
    form_idle_minutes: float = Field(
        240, ge=0, validation_alias=_alias("SNOWDESK_FORM_IDLE_MINUTES", "form_idle_minutes")
    )
    identity_ttl_seconds: int = Field(
        3600, validation_alias=_alias("SNOWDESK_IDENTITY_TTL", "identity_ttl_seconds")
    )
    # Optional generative recogniser: an OpenAI-compatible chat-completions endpoint.
    llm_url: str = Field("", validation_alias=_alias("SNOWDESK_LLM_URL", "llm_url"))
    llm_key: str = Field("", validation_alias=_alias("SNOWDESK_LLM_KEY", "llm_key"))
    llm_model: str = Field("", validation_alias=_alias("SNOWDESK_LLM_MODEL", "llm_model"))
    llm_timeout_seconds: float = Field(
        3.0, validation_alias=_alias("SNOWDESK_LLM_TIMEOUT", "llm_timeout_seconds")
    )
    # Where the recogniser keeps the model it fitted (named by its training data), so a restart
    # with the same trigger files reads it back instead of fitting for ~2 s; empty = always fit.
    model_dir: Path | None = Field(
        Path("data/recognizer"), validation_alias=_alias("SNOWDESK_MODEL_DIR", "model_dir")
    )
    metadata_ttl_seconds: int = Field(
        900, validation_alias=_alias("SNOWDESK_METADATA_TTL", "metadata_ttl_seconds")
    )
    # Where user files may be downloaded from (comma-separated host names, `*.` wildcards);
    # empty = Teams' and Bot Framework's file hosts (dialogs/attachments.py DEFAULT_FILE_HOSTS).
    attachment_hosts: str = Field(
        "", validation_alias=_alias("SNOWDESK_ATTACHMENT_HOSTS", "attachment_hosts")
    )
    # The client's own defaults (servicenow/client.py RetryPolicy says why these values).
    servicenow_max_concurrency: int = Field(
        DEFAULT_POLICY.max_concurrency,
        ge=1,
        validation_alias=_alias("SERVICENOW_MAX_CONCURRENCY", "servicenow_max_concurrency"),
    )
    servicenow_queue_timeout: float = Field(
        DEFAULT_POLICY.queue_timeout,
        ge=0,
        validation_alias=_alias("SERVICENOW_QUEUE_TIMEOUT", "servicenow_queue_timeout"),
    )
    storage_url: str = Field(
        "sqlite:///data/snowdesk.db", validation_alias=_alias("STORAGE_URL", "storage_url")
    )
    emulator_admin_password: str = Field(
        "",
        validation_alias=_alias("SNOWDESK_EMULATOR_ADMIN_PASSWORD", "emulator_admin_password"),
    )
    public_url: str = Field(
        "", validation_alias=_alias("SNOWDESK_PUBLIC_URL", "BOT_ENDPOINT", "public_url")
    )
    teams_app_id: str = Field("", validation_alias=_alias("TEAMS_APP_ID", "teams_app_id"))
    log_level: str = Field("INFO", validation_alias=_alias("LOG_LEVEL", "log_level"))

    # Ticketed access (Entra entitlement management → ServiceNow → Graph resume).
    entra_authority_host: str = Field(
        "https://login.microsoftonline.com",
        validation_alias=_alias("ENTRA_AUTHORITY_HOST", "entra_authority_host"),
    )
    graph_url: str = Field(
        "https://graph.microsoft.com/v1.0", validation_alias=_alias("GRAPH_URL", "graph_url")
    )
    graph_client_id: str = Field("", validation_alias=_alias("GRAPH_CLIENT_ID", "graph_client_id"))
    graph_client_secret: str = Field(
        "", validation_alias=_alias("GRAPH_CLIENT_SECRET", "graph_client_secret")
    )
    graph_certificate_path: str = Field(
        "", validation_alias=_alias("GRAPH_CERTIFICATE_PATH", "graph_certificate_path")
    )
    graph_certificate_thumbprint: str = Field(
        "", validation_alias=_alias("GRAPH_CERTIFICATE_THUMBPRINT", "graph_certificate_thumbprint")
    )
    entitlement_audience: str = Field(
        "", validation_alias=_alias("ENTITLEMENT_AUDIENCE", "entitlement_audience")
    )
    entitlement_poll_seconds: float = Field(
        60, gt=0, validation_alias=_alias("ENTITLEMENT_POLL_SECONDS", "entitlement_poll_seconds")
    )
    entitlement_poll_batch: int = Field(
        50,
        ge=1,
        le=500,
        validation_alias=_alias("ENTITLEMENT_POLL_BATCH", "entitlement_poll_batch"),
    )
    entitlement_warn_days: float = Field(
        10, gt=0, validation_alias=_alias("ENTITLEMENT_WARN_DAYS", "entitlement_warn_days")
    )
    entitlement_closed_states: str = Field(
        "6,7,8",
        validation_alias=_alias("ENTITLEMENT_CLOSED_STATES", "entitlement_closed_states"),
    )
    entitlement_declined_states: str = Field(
        "8",
        validation_alias=_alias("ENTITLEMENT_DECLINED_STATES", "entitlement_declined_states"),
    )

    # Notifications (docs/NOTIFICATIONS.md): the webhook's shared secret (empty = the webhook
    # refuses everything, except with the embedded emulator, which gets a secret made at start).
    webhook_secret: str = Field(
        "", validation_alias=_alias("SNOWDESK_WEBHOOK_SECRET", "webhook_secret")
    )
    webhook_window_seconds: float = Field(
        300, gt=0, validation_alias=_alias("SNOWDESK_WEBHOOK_WINDOW", "webhook_window_seconds")
    )
    notify_poll_seconds: float = Field(
        30, ge=0, validation_alias=_alias("SNOWDESK_NOTIFY_POLL_SECONDS", "notify_poll_seconds")
    )
    notify_poll_batch: int = Field(
        50, ge=1, le=500, validation_alias=_alias("SNOWDESK_NOTIFY_POLL_BATCH", "notify_poll_batch")
    )
    notify_user_limit: int = Field(
        10, ge=1, validation_alias=_alias("SNOWDESK_NOTIFY_USER_LIMIT", "notify_user_limit")
    )

    # Teams single sign-on and the employee's own identity (issue 17).
    oauth_connection: str = Field(
        "", validation_alias=_alias("SNOWDESK_OAUTH_CONNECTION", "oauth_connection")
    )
    identity_mode: IdentityMode = Field(
        IdentityMode.SERVICE, validation_alias=_alias("SNOWDESK_IDENTITY_MODE", "identity_mode")
    )
    # Bot Framework's token service (botbuilder's own `OAUTH_URL`); empty = the public cloud's.
    oauth_url: str = Field("", validation_alias=_alias("OAUTH_URL", "oauth_url"))
    # The embedded emulator's OIDC provider (Entra-style bearer tokens signed by a local key).
    emulator_oidc_metadata: str = Field(
        "", validation_alias=_alias("SNOWDESK_EMULATOR_OIDC_METADATA", "emulator_oidc_metadata")
    )
    emulator_oidc_user_claim: str = Field(
        "upn",
        validation_alias=_alias("SNOWDESK_EMULATOR_OIDC_USER_CLAIM", "emulator_oidc_user_claim"),
    )
    emulator_oidc_user_field: str = Field(
        "user_name",
        validation_alias=_alias("SNOWDESK_EMULATOR_OIDC_USER_FIELD", "emulator_oidc_user_field"),
    )

    @field_validator("servicenow_auth", "identity_mode", mode="before")
    @classmethod
    def _lower_auth(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("model_dir", mode="before")
    @classmethod
    def _no_model_dir(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @property
    def uses_employee_identity(self) -> bool:
        """`user` or `hybrid`: ServiceNow calls about records run as the signed-in employee."""
        return self.identity_mode is not IdentityMode.SERVICE

    @property
    def sso_resource(self) -> str:
        """The Application ID URI Teams asks an SSO token for (bot-only app)."""
        return f"api://botid-{self.app_id}" if self.app_id else ""

    @property
    def ticket_prefix_list(self) -> tuple[str, ...]:
        """IT record number prefixes the recogniser accepts ("INC,RITM" → ("INC", "RITM"))."""
        prefixes = tuple(p.strip().upper() for p in self.ticket_prefixes.split(",") if p.strip())
        return prefixes or ("INC",)

    @property
    def entra_tenant(self) -> str:
        """The Entra tenant of entitlement management and Graph: ENTRA_TENANT_ID, else the bot's."""
        return self.entra_tenant_id or self.app_tenant_id

    @property
    def callout_audience(self) -> str:
        """The `aud` a custom-extension callout token must carry (the bot's app id by default)."""
        return self.entitlement_audience or self.app_id

    @property
    def graph_app_id(self) -> str:
        """The app registration Snowdesk calls Graph with (the bot's own unless GRAPH_CLIENT_ID)."""
        return self.graph_client_id or self.app_id

    @property
    def graph_secret(self) -> str:
        """GRAPH_CLIENT_SECRET, or the bot's password when Graph uses the bot's registration."""
        if self.graph_client_id:
            return self.graph_client_secret
        return self.graph_client_secret or self.app_password

    @property
    def entitlement_enabled(self) -> bool:
        """Ticketed access is on once a tenant and a callout audience are known."""
        return bool(self.entra_tenant and self.callout_audience)

    @property
    def closed_state_list(self) -> frozenset[str]:
        """Ticket state values that end an access request ("6,7,8" → resolved, closed, cancelled)."""
        return frozenset(s.strip() for s in self.entitlement_closed_states.split(",") if s.strip())

    @property
    def declined_state_list(self) -> frozenset[str]:
        """Closed states that decline the request instead of granting it (cancelled)."""
        return frozenset(
            s.strip() for s in self.entitlement_declined_states.split(",") if s.strip()
        )

    @property
    def anonymous(self) -> bool:
        """No app id: the bot accepts unauthenticated local traffic (Emulator) only."""
        return not self.app_id

    @property
    def bind_host(self) -> str:
        """Loopback only in anonymous mode, all interfaces otherwise, unless HOST says."""
        if self.host:
            return self.host
        return "127.0.0.1" if self.anonymous else "0.0.0.0"

    @property
    def embedded_servicenow_db(self) -> str:
        """Where the embedded emulator keeps its records: beside the bot's SQLite state, so a
        restart keeps both; in memory when the state is not on disk (tests, Redis)."""
        prefix = "sqlite:///"
        path = self.storage_url[len(prefix) :] if self.storage_url.startswith(prefix) else ""
        if not path or path == ":memory:":
            return ":memory:"
        return str(Path(path).with_name("servicenow-emulator.db"))

    @property
    def uses_embedded_servicenow(self) -> bool:
        """No instance configured: the bot starts its embedded ServiceNow emulator."""
        return not self.servicenow_instance.strip()


class BotFrameworkConfig:
    """The attribute-style object `ConfigurationBotFrameworkAuthentication` reads.

    Setting any endpoint attribute selects botbuilder's parameterized authentication, which then
    uses every one of them; so all are given, with the public cloud's values, and only the
    OpenID metadata URLs come from settings. Tests and production run the same code path.
    """

    def __init__(self, settings: Settings) -> None:
        self.APP_ID = settings.app_id
        self.APP_PASSWORD = settings.app_password
        self.APP_TYPE = settings.app_type
        self.APP_TENANTID = settings.app_tenant_id
        self.PORT = settings.port
        constants = AuthenticationConstants
        self.TO_CHANNEL_FROM_BOT_LOGIN_URL = constants.TO_CHANNEL_FROM_BOT_LOGIN_URL_PREFIX
        self.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE = constants.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE
        self.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER = constants.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER
        self.OAUTH_URL = settings.oauth_url or constants.OAUTH_URL
        self.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL = (
            settings.bot_openid_metadata or constants.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL
        )
        self.TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL = (
            settings.emulator_openid_metadata or constants.TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL
        )
        self.CALLER_ID = CallerIdConstants.public_azure_channel
        self.VALIDATE_AUTHORITY = True
