"""The webhook channel: a unit's reminders POSTed as signed JSON to a URL it chooses (a bridge
to the Zalo OA, Telegram or Teams bot its staff actually read)."""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import json
import secrets
import socket
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

from tracker.core.limits import has_control

SIGNATURE_HEADER = "X-Tracker-Signature"
TIMEOUT_SECONDS = 10


class WebhookError(Exception):
    """The receiver did not accept the POST; it will be tried again."""


def is_public(address: str) -> bool:
    """Whether `address` (an IP literal) is a public Internet address: not loopback,
    link-local (169.254.x.x: cloud metadata), private, shared, reserved or multicast."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def url_problem(url: str, *, allow_private: bool = False) -> str | None:
    """What is wrong with a webhook address, or None. Codes: "scheme" (not http or https),
    "spaces" (whitespace or control characters), "host" (none, or unreadable), "port",
    "private" (a loopback, link-local or private address, or localhost: refused unless
    TRACKER_WEBHOOK_ALLOW_PRIVATE). Names are not looked up here: delivery checks where they
    lead (`post`)."""
    if not url or any(ch.isspace() for ch in url) or has_control(url):
        return "spaces"
    try:
        parts = urlsplit(url)
    except ValueError:
        return "host"  # an unclosed [IPv6 literal
    try:
        port = parts.port
    except ValueError:
        return "port"
    if parts.scheme not in ("http", "https"):
        return "scheme"
    host = parts.hostname or ""
    if not host or host.startswith(".") or ".." in host:
        return "host"
    if port == 0:
        return "port"
    if allow_private:
        return None
    if host == "localhost" or host.endswith(".localhost"):
        return "private"
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return None  # a name
    return None if is_public(host) else "private"


def _public_connection(
    address: tuple[str, int], timeout: Any = socket._GLOBAL_DEFAULT_TIMEOUT, source: Any = None
) -> socket.socket:
    """socket.create_connection, refusing a peer that is not a public address: checked on
    the connected socket, so a name that resolves anew (DNS rebinding) cannot slip by."""
    sock = socket.create_connection(address, timeout, source)
    peer = sock.getpeername()[0]
    if not is_public(peer):
        sock.close()
        raise WebhookError(f"refused: {address[0]} is a private address ({peer})")
    return sock


class _PublicHTTPConnection(http.client.HTTPConnection):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._create_connection = _public_connection  # type: ignore[assignment]


class _PublicHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._create_connection = _public_connection  # type: ignore[assignment]


class _PublicHTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req: urllib.request.Request) -> Any:
        return self.do_open(_PublicHTTPConnection, req)


class _PublicHTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req: urllib.request.Request) -> Any:
        return self.do_open(_PublicHTTPSConnection, req, context=getattr(self, "_context", None))


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    # A receiver answers; it does not send the signed body on to somewhere else.
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _resolves_public(host: str, port: int) -> None:
    """Raise WebhookError when `host` resolves to an address that is not public."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise WebhookError(f"cannot resolve {host}: {error}") from error
    for info in infos:
        if not is_public(str(info[4][0])):
            raise WebhookError(f"refused: {host} resolves to a private address ({info[4][0]})")


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


def post(
    url: str,
    secret: str,
    payload: dict[str, Any],
    delivery_id: str,
    *,
    allow_private: bool = False,
) -> None:
    """POST `payload` signed with `secret`; raise WebhookError unless the answer is 2xx.

    Every failure is a WebhookError, whatever raised it (an address stored before it was
    checked, a refused private target, a broken TLS handshake): the pass records it and goes
    on with the next delivery."""
    problem = url_problem(url, allow_private=allow_private)
    if problem is not None:
        raise WebhookError(f"invalid webhook address ({problem})")
    try:
        _post(url, secret, payload, delivery_id, allow_private=allow_private)
    except WebhookError:
        raise
    except urllib.error.HTTPError as error:
        raise WebhookError(f"HTTP {error.code}") from error
    except urllib.error.URLError as error:
        raise WebhookError(str(error.reason)) from error
    except Exception as error:  # one delivery's failure, whatever it is
        raise WebhookError(f"{type(error).__name__}: {error}") from error


def _post(
    url: str, secret: str, payload: dict[str, Any], delivery_id: str, *, allow_private: bool
) -> None:
    parts = urlsplit(url)
    handlers: list[Any] = [_NoRedirects()]
    if not allow_private:
        host = parts.hostname or ""
        _resolves_public(host, parts.port or (443 if parts.scheme == "https" else 80))
        proxied = parts.scheme in urllib.request.getproxies() and not urllib.request.proxy_bypass(
            host
        )
        if not proxied:
            # Through a proxy the connection goes to the proxy; the name was checked above.
            handlers += [_PublicHTTPHandler(), _PublicHTTPSHandler()]
    opener = urllib.request.build_opener(*handlers)
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
    with opener.open(request, timeout=TIMEOUT_SECONDS) as response:
        if not 200 <= response.status < 300:
            raise WebhookError(f"HTTP {response.status}")
