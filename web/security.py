"""What keeps the web view safe by default: loopback unless a token is set, the token on every request, and the
response headers (Content-Security-Policy without inline scripts, nosniff, no referrer, no framing)."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import os
from collections.abc import Iterable
from urllib.parse import parse_qs, quote

from starlette.datastructures import Headers
from starlette.responses import JSONResponse, RedirectResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from newsmon.errors import ConfigError

TOKEN_ENV = "NEWSMON_WEB_TOKEN"
MIN_TOKEN_CHARS = 16
SESSION_COOKIE = "newsmon_session"
TOKEN_HEADER = "x-newsmon-token"
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1", "[::1]")
# Paths served without the token: the login form itself and its stylesheet.
OPEN_PATHS = ("/login", "/static/")


class WebSetupError(ConfigError):
    """The web view cannot start as asked (no token for a non-loopback address, a token too short)."""


def is_loopback(host: str) -> bool:
    host = host.strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def token_for(host: str, environ: dict[str, str] | None = None) -> str | None:
    """The access token the web view requires, from NEWSMON_WEB_TOKEN; None for a loopback address without one.

    Raises WebSetupError for any other address without a token (refusing to serve the archive to the network
    unprotected), and for a token shorter than MIN_TOKEN_CHARS characters."""
    token = (os.environ if environ is None else environ).get(TOKEN_ENV, "").strip()
    if not token:
        if is_loopback(host):
            return None
        raise WebSetupError(
            f"newsmon web --host {host}: serving beyond this machine needs an access token; set {TOKEN_ENV} to a "
            f"secret of at least {MIN_TOKEN_CHARS} characters (e.g. `export {TOKEN_ENV}=$(openssl rand -hex 24)`), "
            "or bind to 127.0.0.1"
        )
    if len(token) < MIN_TOKEN_CHARS:
        raise WebSetupError(f"{TOKEN_ENV} is {len(token)} characters long; use at least {MIN_TOKEN_CHARS}")
    return token


def session_value(token: str) -> str:
    """The login cookie's value: derived from the token, so the token itself never sits in a browser's cookies."""
    return hmac.new(token.encode(), b"newsmon-web-session-v1", hashlib.sha256).hexdigest()


def content_security_policy(style_hashes: Iterable[str] = ()) -> str:
    """No scripts at all, styles from the app only (plus the exact inline chart styles hashed here), nothing framed."""
    styles = " ".join(["'self'", *(f"'sha256-{h}'" for h in style_hashes)])
    return ("default-src 'none'; script-src 'none'; " f"style-src {styles}; img-src 'self' data:; font-src 'self'; "
            "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")


SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    # Links lead to news sites: they learn nothing about this server or the search that led there.
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
    "cache-control": "no-store",
}


class SecurityHeaders:
    """Adds the security headers to every response; a response that set its own Content-Security-Policy (the
    trends page, to allow its chart's hashed style) keeps it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                if b"content-security-policy" not in present:
                    headers.append((b"content-security-policy", content_security_policy().encode()))
                for name, value in SECURITY_HEADERS.items():
                    if name.encode() not in present:
                        headers.append((name.encode(), value.encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


class RequireAccess:
    """Admits a request only when it may see the archive.

    - A token is configured: the request carries it (`Authorization: Bearer`, `X-Newsmon-Token`) or the login
      cookie; otherwise the API answers 401 and a page redirects to the login form.
    - No token (loopback only): the Host header must name a loopback address, so a web page elsewhere cannot reach
      the view through a DNS name rebound to 127.0.0.1.
    """

    def __init__(self, app: ASGIApp, token: str | None) -> None:
        self.app = app
        self.token = token
        self.cookie = session_value(token) if token else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        path = scope.get("path", "")
        if self.token is None:
            if not is_loopback(host_name(headers.get("host", ""))):
                response = JSONResponse({"error": "this server answers only to a loopback address"}, status_code=421)
                await response(scope, receive, send)
                return
        elif not path.startswith(OPEN_PATHS) and not self.admitted(headers):
            if path.startswith("/api/"):
                response = JSONResponse({"error": "an access token is required (Authorization: Bearer TOKEN)"},
                                        status_code=401, headers={"www-authenticate": "Bearer"})
            else:
                target = path + ("?" + scope["query_string"].decode("latin-1") if scope.get("query_string") else "")
                response = RedirectResponse("/login?next=" + quote(target, safe=""), status_code=303)
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def admitted(self, headers: Headers) -> bool:
        assert self.token is not None and self.cookie is not None
        offered = headers.get(TOKEN_HEADER, "")
        auth = headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            offered = auth[7:].strip()
        if offered and hmac.compare_digest(offered.encode(), self.token.encode()):
            return True
        cookie = _cookie(headers.get("cookie", ""), SESSION_COOKIE)
        return bool(cookie) and hmac.compare_digest(cookie.encode(), self.cookie.encode())

    def check_token(self, offered: str) -> bool:
        return self.token is not None and hmac.compare_digest(offered.encode(), self.token.encode())


def host_name(header: str) -> str:
    """The host of a Host header, without its port (`[::1]:8080` -> `::1`)."""
    if header.startswith("["):
        return header[1:].split("]", 1)[0]
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


def _cookie(header: str, name: str) -> str:
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return ""


def form_field(body: bytes, name: str) -> str:
    """One field of an application/x-www-form-urlencoded body (the login form; no multipart parser needed)."""
    values = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True).get(name, [""])
    return values[0]


def local_path(target: str) -> str:
    """`target` if it is a path on this server (after login), else the front page: never an open redirect."""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"
