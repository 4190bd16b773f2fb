"""The read-only web viewer: a Starlette app over one store, opened read-only.

Pages (``/``, ``/session``) are static files shipped in the package; they fetch JSON from
``/api/...`` and render it with ``textContent`` only, so stored content is always text (a
stored ``<script>`` shows as ``<script>``). Live updates are server-sent events from
``/api/events``, fed by :func:`sessions_plus.follow.follow`. Every route is a GET: no endpoint
writes, and the store itself is read-only. A strict Content-Security-Policy allows only the
package's own scripts and styles, and images inline as ``data:`` URLs.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from importlib import resources
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..display import display_all
from ..errors import SessionsPlusError
from ..follow import DEFAULT_INTERVAL, follow
from ..registry import open_store
from ..store import DEFAULT_STREAM, ConversationStore
from .auth import TokenGate

STATIC = resources.files("sessions_plus.viewer") / "static"
PAGE_SIZE = 25
MAX_PAGE = 200
RECORDS_PAGE = 500
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)

StoreOpener = Callable[[], ConversationStore]


def create_app(
    url: str | None = None,
    *,
    store: ConversationStore | None = None,
    token: str | None = None,
    interval: float = DEFAULT_INTERVAL,
) -> ASGIApp:
    """The viewer for the store at ``url`` (opened read-only on the server's loop) or for a
    ``store`` you pass (used as it is and not closed). ``token``: see :mod:`.auth`."""
    if (url is None) == (store is None):
        raise ValueError("give the viewer a store URL or a store, not both")
    state: dict[str, ConversationStore] = {}

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if store is not None:
            state["store"] = store
            yield
            return
        assert url is not None
        opened = open_store(url, read_only=True)
        state["store"] = opened
        try:
            yield
        finally:
            await opened.aclose()

    def current() -> ConversationStore:
        return state["store"]

    api = _Api(current, interval)
    routes = [
        Route("/", _page("index.html")),
        Route("/session", _page("session.html")),
        Route("/api/sessions", api.sessions),
        Route("/api/session", api.session),
        Route("/api/records", api.records),
        Route("/api/events", api.events),
        Mount("/static", app=StaticFiles(directory=str(STATIC)), name="static"),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    return TokenGate(_SecurityHeaders(app), token)


def _page(name: str) -> Callable[[Request], Any]:
    async def page(request: Request) -> Response:
        return FileResponse(str(STATIC / name), media_type="text/html")

    return page


class _SecurityHeaders:
    """Adds CSP, nosniff, no-referrer and no-store to every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def add_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [
                    (b"content-security-policy", CSP.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"cache-control", b"no-store"),
                ]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, add_headers)


class _Api:
    """The JSON endpoints (every one a GET, none writes)."""

    def __init__(self, store: Callable[[], ConversationStore], interval: float) -> None:
        self._store = store
        self._interval = interval

    async def sessions(self, request: Request) -> Response:
        prefix = request.query_params.get("prefix", "")
        cursor = request.query_params.get("cursor") or None
        limit = _int(request.query_params.get("limit"), PAGE_SIZE, 1, MAX_PAGE)
        try:
            page = await self._store().list_sessions(limit=limit, cursor=cursor, prefix=prefix)
        except (SessionsPlusError, ValueError) as exc:
            return _error(exc)
        return JSONResponse(
            {
                "sessions": [_info(info) for info in page.sessions],
                "next_cursor": page.next_cursor,
            }
        )

    async def session(self, request: Request) -> Response:
        session_id = request.query_params.get("id", "")
        store = self._store()
        try:
            info = await store.info(session_id)
            if info is None:
                return JSONResponse({"error": f"no session {session_id!r}"}, status_code=404)
            docs = {
                name: await store.get_doc(session_id, name)
                for name in await store.list_docs(session_id)
            }
        except (SessionsPlusError, ValueError) as exc:
            return _error(exc)
        return JSONResponse({**_info(info), "docs": docs})

    async def records(self, request: Request) -> Response:
        session_id = request.query_params.get("id", "")
        stream = request.query_params.get("stream") or DEFAULT_STREAM
        after = _int(request.query_params.get("after"), 0, 0, None)
        limit = _int(request.query_params.get("limit"), RECORDS_PAGE, 1, RECORDS_PAGE)
        try:
            records = await self._store().read(
                session_id, stream=stream, after=after or None, limit=limit, keep="earliest"
            )
        except (SessionsPlusError, ValueError) as exc:
            return _error(exc)
        return JSONResponse(
            {
                "messages": [m.to_json() for m in display_all(records)],
                "more": len(records) == limit,
            }
        )

    async def events(self, request: Request) -> Response:
        session_id = request.query_params.get("id", "")
        stream = request.query_params.get("stream") or DEFAULT_STREAM
        after = _int(request.query_params.get("after"), 0, 0, None)
        # A reconnecting EventSource sends the id of the last event it got.
        after = max(after, _int(request.headers.get("last-event-id"), 0, 0, None))
        store = self._store()

        async def events() -> AsyncIterator[str]:
            yield "retry: 2000\n: following\n\n"
            async for batch in follow(
                store, session_id, stream=stream, after=after, interval=self._interval
            ):
                data = json.dumps([m.to_json() for m in display_all(batch)], ensure_ascii=False)
                yield f"event: records\nid: {batch[-1].seq}\ndata: {data}\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")


def _info(info: Any) -> dict[str, Any]:
    return {
        "session_id": info.session_id,
        "created_at": info.created_at,
        "updated_at": info.updated_at,
        "expires_at": info.expires_at,
        "streams": dict(info.streams),
        "item_count": info.item_count,
    }


def _int(raw: str | None, default: int, low: int, high: int | None) -> int:
    try:
        value = default if raw is None or raw == "" else int(raw)
    except ValueError:
        return default
    value = max(value, low)
    return value if high is None else min(value, high)


def _error(exc: Exception) -> Response:
    return JSONResponse({"error": f"{type(exc).__name__}: {exc}"}, status_code=400)
