"""`snowdesk doctor` for SSO, against the embedded emulator trusting a fake Entra's key: the
settings, the package's webApplicationInfo, the scope, and with a test employee's token the
on-behalf-of exchange and whom ServiceNow takes the token for."""

from __future__ import annotations

from bot.config import Settings
from bot.doctor import Check, run_checks
from tests.fakes.microsoft import SERVICENOW_SCOPE, FakeMicrosoft

APP_ID = "6f1b2c3d-4e5f-4789-abcd-ef0123456789"


def _settings(fake: FakeMicrosoft, **changes: object) -> Settings:
    values: dict[str, object] = {
        "storage_url": "memory://",
        "app_id": APP_ID,
        "app_tenant_id": fake.tenant,
        "oauth_connection": "snowdesk-sso",
        "identity_mode": "user",
        "entra_authority_host": fake.authority_host,
        "entra_client_id": fake.client_id,
        "entra_client_secret": fake.client_secret,
        "servicenow_entra_scope": SERVICENOW_SCOPE,
        "emulator_oidc_metadata": f"{fake.issuer}/.well-known/openid-configuration",
        "emulator_oidc_user_claim": "email",
        "emulator_oidc_user_field": "email",
    } | changes
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


def _by_name(checks: list[Check]) -> dict[str, Check]:
    return {check.name: check for check in checks}


async def test_with_a_test_token_the_instance_is_checked_as_the_employee(
    microsoft: FakeMicrosoft,
) -> None:
    token = microsoft.sso_token("abel.tuter@example.com", "Abel Tuter", "oid-abel")
    checks = _by_name(await run_checks(_settings(microsoft), sso_token=token))
    assert checks["OAuth connection settings"].ok
    assert checks["Teams package asks for SSO"].detail.endswith(f"api://botid-{APP_ID}")
    assert checks["ServiceNow scope for on-behalf-of"].ok
    assert checks["on-behalf-of exchange of the test token"].ok
    mapped = checks["ServiceNow maps the claim to a sys_user"]
    assert (mapped.ok, mapped.detail) == (True, "acts as abel.tuter")
    assert checks["credentials accepted"].ok
    assert all(token not in check.line() for check in checks.values())


async def test_without_a_token_user_mode_says_what_to_pass(microsoft: FakeMicrosoft) -> None:
    checks = _by_name(
        await run_checks(_settings(microsoft, servicenow_entra_scope="user_impersonation"))
    )
    assert checks["ServiceNow scope for on-behalf-of"].ok is False
    assert checks["on-behalf-of exchange of the test token"].ok is None
    creds = checks["credentials accepted"]
    assert creds.ok is None and "--sso-token" in creds.fix


async def test_missing_connection_settings_are_named(microsoft: FakeMicrosoft) -> None:
    checks = _by_name(await run_checks(_settings(microsoft, app_id="", identity_mode="hybrid")))
    problem = checks["OAuth connection settings"]
    assert problem.ok is False
    assert problem.detail == "missing: MicrosoftAppId"
    assert checks["Teams package asks for SSO"].ok is False


async def test_a_mode_nobody_can_sign_in_with_stops_at_the_settings(
    microsoft: FakeMicrosoft,
) -> None:
    """`user` mode without an OAuth connection: nobody could sign in, so nothing starts."""
    (check,) = await run_checks(_settings(microsoft, oauth_connection=""))
    assert (check.name, check.ok) == ("settings complete", False)
    assert "SNOWDESK_OAUTH_CONNECTION" in check.detail


async def test_entra_user_auth_in_service_mode_is_refused(microsoft: FakeMicrosoft) -> None:
    settings = _settings(
        microsoft,
        identity_mode="service",
        servicenow_instance="contoso",
        servicenow_auth="entra_user",
    )
    (check,) = await run_checks(settings)
    assert check.ok is False and "SNOWDESK_IDENTITY_MODE" in check.detail
