"""The webhook's signature check (`bot.notifications.verify_signature`)."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from bot.notifications import InvalidSignature, verify_signature
from servicenow.emulator.webhook import sign

SECRET = "a-shared-secret-for-tests"
BODY = b'{"event_id":"x:1"}'
NOW = 1_800_000_000.0


def test_a_signature_in_base64_or_hex_over_timestamp_and_body_passes() -> None:
    verify_signature(SECRET, str(int(NOW)), sign(SECRET, str(int(NOW)), BODY), BODY, NOW, 300)
    mac = hmac.new(SECRET.encode(), f"{int(NOW)}.".encode() + BODY, hashlib.sha256).hexdigest()
    verify_signature(SECRET, str(int(NOW)), f"sha256={mac}", BODY, NOW + 299, 300)


@pytest.mark.parametrize(
    ("secret", "timestamp", "signature", "reason"),
    [
        ("", str(int(NOW)), sign(SECRET, str(int(NOW)), BODY), "no SNOWDESK_WEBHOOK_SECRET"),
        (SECRET, "", sign(SECRET, str(int(NOW)), BODY), "timestamp"),
        (SECRET, str(int(NOW) - 301), sign(SECRET, str(int(NOW) - 301), BODY), "window"),
        (SECRET, str(int(NOW)), "", "malformed signature"),
        (SECRET, str(int(NOW)), "sha1=abc", "malformed signature"),
        (SECRET, str(int(NOW)), "sha256=***", "malformed signature"),
        (SECRET, str(int(NOW)), sign("another", str(int(NOW)), BODY), "mismatch"),
        # The timestamp is signed: a captured call cannot be given a fresh one.
        (SECRET, str(int(NOW)), sign(SECRET, str(int(NOW) - 3600), BODY), "mismatch"),
    ],
)
def test_anything_else_is_refused_with_a_reason(
    secret: str, timestamp: str, signature: str, reason: str
) -> None:
    with pytest.raises(InvalidSignature, match=reason):
        verify_signature(secret, timestamp, signature, BODY, NOW, 300)


def test_a_person_gets_at_most_the_limit_in_ten_minutes() -> None:
    from botbuilder.core import MemoryStorage

    from bot.config import Settings
    from bot.notifications import RATE_WINDOW_S, Notifications

    now = [NOW]

    class Nobody:
        async def notify(self, person: str, text: str, card: object = None) -> bool:
            return False

    service = Notifications(
        Settings(_env_file=None, notify_user_limit=2),
        MemoryStorage(),
        Nobody(),
        lambda: None,
        clock=lambda: now[0],
    )
    assert [service._within_rate("abel") for _ in range(3)] == [True, True, False]
    assert service._within_rate("beth"), "another person has a limit of their own"
    now[0] += RATE_WINDOW_S
    assert service._within_rate("abel")
