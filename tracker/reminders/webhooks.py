"""The webhook channel: a unit's reminders POSTed as signed JSON to a URL it chooses (a bridge
to the Zalo OA, Telegram or Teams bot its staff actually read)."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import urllib.error
import urllib.request
from typing import Any

SIGNATURE_HEADER = "X-Tracker-Signature"
TIMEOUT_SECONDS = 10


class WebhookError(Exception):
    """The receiver did not accept the POST; it will be tried again."""


def new_secret() -> str:
    """A fresh signing secret."""
    return secrets.token_hex(32)


def sign(secret: str, body: bytes) -> str:
    """The signature header value: "sha256=" and the HMAC-SHA256 of the body, in hex."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(secret: str, body: bytes, header: str) -> bool:
    """Whether `header` is the signature of `body` (for receivers, and the tests)."""
    return hmac.compare_digest(sign(secret, body), header or "")


def encode(payload: dict[str, Any]) -> bytes:
    """The JSON body, compact and stable (sorted keys), UTF-8."""
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def post(url: str, secret: str, payload: dict[str, Any], delivery_id: str) -> None:
    """POST `payload` signed with `secret`; raise WebhookError unless the answer is 2xx."""
    body = encode(payload)
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "tracker-reminders/1",
            SIGNATURE_HEADER: sign(secret, body),
            "X-Tracker-Delivery": delivery_id,
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            if not 200 <= response.status < 300:
                raise WebhookError(f"HTTP {response.status}")
    except urllib.error.HTTPError as error:
        raise WebhookError(f"HTTP {error.code}") from error
    except (urllib.error.URLError, OSError) as error:
        raise WebhookError(str(error)) from error
