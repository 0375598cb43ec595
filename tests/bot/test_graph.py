"""Graph `resume`: the callback body, retries, a refreshed token after 401, final refusals."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from bot.config import Settings
from bot.graph import (
    GraphClient,
    GraphCredentials,
    GraphNotConfigured,
    GraphRejected,
    GraphUnavailable,
    RetryPolicy,
    callback_body,
)


class Credentials(GraphCredentials):
    def __init__(self) -> None:
        self.forgotten = 0

    async def token(self) -> str:
        return f"token-{self.forgotten}"

    async def forget(self) -> None:
        self.forgotten += 1


def client(answers: list[Any], seen: list[httpx.Request]) -> tuple[GraphClient, Credentials]:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    async def no_sleep(seconds: float) -> None:
        return None

    credentials = Credentials()
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    settings = Settings(_env_file=None, graph_url="https://graph.example/v1.0")
    graph = GraphClient(settings, http, credentials, RetryPolicy(attempts=3), sleep=no_sleep)
    return graph, credentials


def test_the_callback_body_names_the_stage_and_a_decline_denies() -> None:
    granted = callback_body("assignmentRequestApproved", "si-1", False, "INC1 was resolved")
    assert (
        granted["type"]
        == "microsoft.graph.accessPackageCustomExtensionStage.assignmentRequestApproved"
    )
    assert granted["source"] == "ServiceNow" and "state" not in granted["data"]
    declined = callback_body("assignmentRequestApproved", "si-1", True, "INC1 was cancelled")
    assert declined["data"]["state"] == "denied"
    assert (
        declined["data"]["@odata.type"]
        == "#microsoft.graph.accessPackageAssignmentRequestCallbackData"
    )


async def test_429_5xx_and_a_dropped_connection_are_retried() -> None:
    seen: list[httpx.Request] = []
    answers = [
        httpx.Response(429, headers={"Retry-After": "0"}),
        httpx.ConnectError("reset"),
        httpx.Response(204),
    ]
    graph, _ = client(answers, seen)
    await graph.resume("req-1", "assignmentRequestApproved", "si-1", False, "done")
    assert len(seen) == 3
    assert seen[0].url.path == (
        "/v1.0/identityGovernance/entitlementManagement/accessPackageAssignmentRequests/req-1/resume"
    )


async def test_every_attempt_failing_is_unavailable() -> None:
    graph, _ = client([httpx.Response(503)] * 3, [])
    with pytest.raises(GraphUnavailable, match="503"):
        await graph.resume("req-1", "assignmentRequestApproved", "si-1", False, "done")


async def test_401_gets_a_fresh_token_once() -> None:
    seen: list[httpx.Request] = []
    graph, credentials = client([httpx.Response(401), httpx.Response(204)], seen)
    await graph.resume("req-1", "assignmentRequestApproved", "si-1", False, "done")
    assert credentials.forgotten == 1
    assert [r.headers["Authorization"] for r in seen] == ["Bearer token-0", "Bearer token-1"]


async def test_a_final_refusal_is_not_retried() -> None:
    seen: list[httpx.Request] = []
    body = {"error": {"code": "RequestNotWaitingForCallback"}}
    graph, _ = client([httpx.Response(400, json=body)], seen)
    with pytest.raises(GraphRejected, match="RequestNotWaitingForCallback"):
        await graph.resume("req-1", "assignmentRequestApproved", "si-1", False, "done")
    assert len(seen) == 1


async def test_credentials_without_a_secret_say_what_to_set() -> None:
    settings = Settings(_env_file=None, entra_tenant_id="t", graph_client_id="c")
    with pytest.raises(GraphNotConfigured, match="GRAPH_CLIENT_SECRET"):
        await GraphCredentials(settings).token()
