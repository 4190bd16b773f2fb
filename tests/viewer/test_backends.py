"""The viewer's API on every backend another process can open (no browser: plain HTTP)."""

from __future__ import annotations

import asyncio
import json

import httpx

from tests.fixtures.factory import StoreFactory

from .server import Viewer


async def test_the_api_and_live_events_on_every_backend(
    cross_process_factory: StoreFactory,
) -> None:
    store = cross_process_factory()
    await store.append("chat", [{"role": "user", "content": "hi"}], format="openai.responses")
    await store.put_doc("chat", "state", {"k": 1})
    viewer = Viewer(cross_process_factory.url())
    await asyncio.to_thread(viewer.start)
    try:
        async with httpx.AsyncClient(base_url=viewer.base, timeout=60) as client:
            listed = (await client.get("/api/sessions")).json()
            assert [s["session_id"] for s in listed["sessions"]] == ["chat"]
            session = (await client.get("/api/session", params={"id": "chat"})).json()
            assert session["docs"] == {"state": {"k": 1}} and session["streams"] == {"main": 1}
            page = (await client.get("/api/records", params={"id": "chat"})).json()
            assert [m["parts"][0]["text"] for m in page["messages"]] == ["hi"]
            missing = await client.get("/api/session", params={"id": "nobody"})
            assert missing.status_code == 404

            params = {"id": "chat", "after": "1"}
            async with client.stream("GET", "/api/events", params=params) as events:
                assert events.headers["content-type"].startswith("text/event-stream")
                await store.append("chat", [{"role": "assistant", "content": "live"}])
                data = None
                async for line in events.aiter_lines():
                    if line.startswith("data: "):
                        data = json.loads(line[6:])
                        break
            assert data is not None and [m["parts"][0]["text"] for m in data] == ["live"]
    finally:
        await asyncio.to_thread(viewer.stop)
