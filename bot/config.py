"""Settings, read once from environment variables and `.env` (pydantic-settings).

Bot Framework names are kept as Bot Framework spells them (`MicrosoftAppId`, ...).
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


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
    entra_tenant_id: str = Field("", validation_alias=_alias("ENTRA_TENANT_ID", "entra_tenant_id"))
    entra_client_id: str = Field("", validation_alias=_alias("ENTRA_CLIENT_ID", "entra_client_id"))
    entra_certificate_path: str = Field(
        "", validation_alias=_alias("ENTRA_CERTIFICATE_PATH", "entra_certificate_path")
    )
    entra_certificate_thumbprint: str = Field(
        "", validation_alias=_alias("ENTRA_CERTIFICATE_THUMBPRINT", "entra_certificate_thumbprint")
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
    metadata_ttl_seconds: int = Field(
        900, validation_alias=_alias("SNOWDESK_METADATA_TTL", "metadata_ttl_seconds")
    )
    servicenow_max_concurrency: int = Field(
        16,
        ge=1,
        validation_alias=_alias("SERVICENOW_MAX_CONCURRENCY", "servicenow_max_concurrency"),
    )
    servicenow_queue_timeout: float = Field(
        8.0,
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

    @field_validator("servicenow_auth", mode="before")
    @classmethod
    def _lower_auth(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @property
    def ticket_prefix_list(self) -> tuple[str, ...]:
        """IT record number prefixes the recogniser accepts ("INC,RITM" → ("INC", "RITM"))."""
        prefixes = tuple(p.strip().upper() for p in self.ticket_prefixes.split(",") if p.strip())
        return prefixes or ("INC",)

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
    """The attribute-style object `ConfigurationBotFrameworkAuthentication` reads."""

    def __init__(self, settings: Settings) -> None:
        self.APP_ID = settings.app_id
        self.APP_PASSWORD = settings.app_password
        self.APP_TYPE = settings.app_type
        self.APP_TENANTID = settings.app_tenant_id
        self.PORT = settings.port
