"""Who may look: the viewer's token check and loopback rules (pure ASGI middleware).

Without a token the viewer only binds to loopback and only answers requests whose ``Host`` is
a loopback name (so a web page elsewhere cannot reach it through DNS rebinding). With a token,
every request must carry it: ``Authorization: Bearer T``, the ``X-Sessions-Plus-Token`` header,
or the cookie set when a page is opened once as ``/?token=T`` (then redirected without it).
"""

from __future__ import annotations

import hmac
import ipaddress
from http.cookies import CookieError, SimpleCookie
from urllib.parse import parse_qsl, urlencode

from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

COOKIE = "sessions_plus_token"
HEADER = "x-sessions-plus-token"
LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


def is_loopback(host: str) -> bool:
    """True for ``127.0.0.0/8``, ``::1`` and ``localhost`` (brackets and a port allowed)."""
    name = host.strip()
    if name.startswith("["):
        name = name[1 : name.find("]")] if "]" in name else name[1:]
    elif name.count(":") == 1:
        name = name.split(":", 1)[0]
    if name.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


class TokenGate:
    """Refuse (401) every request without the token; with no token, refuse non-loopback Hosts."""

    def __init__(self, app: ASGIApp, token: str | None) -> None:
        self.app = app
        self.token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        response = self._check(scope, headers)
        if response is None:
            await self.app(scope, receive, send)
        else:
            await response(scope, receive, send)

    def _check(self, scope: Scope, headers: Headers) -> Response | None:
        if self.token is None:
            if is_loopback(headers.get("host", "")):
                return None
            return PlainTextResponse("this viewer only answers on loopback", status_code=403)
        if self._matches(_presented(headers)):
            return None
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        if self._matches(query.get("token")):
            rest = urlencode({k: v for k, v in query.items() if k != "token"})
            target = scope.get("path", "/") + (f"?{rest}" if rest else "")
            redirect = RedirectResponse(target, status_code=303)
            redirect.set_cookie(COOKIE, self.token, httponly=True, samesite="strict")
            return redirect
        return PlainTextResponse(
            "token required: open the viewer as /?token=... or send it in the "
            "Authorization: Bearer header",
            status_code=401,
            headers={"WWW-Authenticate": 'Bearer realm="sessions-plus"'},
        )

    def _matches(self, presented: str | None) -> bool:
        if presented is None or self.token is None:
            return False
        return hmac.compare_digest(presented.encode(), self.token.encode())


def _presented(headers: Headers) -> str | None:
    auth = headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    if HEADER in headers:
        return headers[HEADER]
    cookie = SimpleCookie()
    try:
        cookie.load(headers.get("cookie", ""))
    except CookieError:  # a malformed Cookie header carries no token
        return None
    morsel = cookie.get(COOKIE)
    return None if morsel is None else morsel.value
