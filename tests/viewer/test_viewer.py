"""The web viewer in real headless Chromium: list, conversation, live updates, escaping, token."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest
from agents import Agent, Runner, set_tracing_disabled
from agents.testing import ScriptedModel as OpenAIScriptedModel
from agents.testing import assistant_message, function_call
from playwright.async_api import expect
from strands import Agent as StrandsAgent

from sessions_plus import SQLiteStore
from sessions_plus.openai_agents import StoreSession
from sessions_plus.strands import StoreSessionManager
from sessions_plus.testing import ScriptedModel
from tests.fixtures.processes import child_env, output_of, start_python

from .server import Viewer, browser_page

set_tracing_disabled(True)
ROOT = Path(__file__).resolve().parents[2]
HOSTILE = '<script>window.__pwned = 1</script><img src="x" onerror="window.__pwned = 2">'


def url_of(path: Path) -> str:
    return f"sqlite:///{path.resolve()}"


async def seed_both_sdks(path: Path) -> None:
    """One conversation written by each SDK, through the sessions-plus adapters."""
    store = SQLiteStore(path)
    try:
        model = OpenAIScriptedModel(
            [
                [function_call("lookup_invoice", {"invoice": "INV-7"}, call_id="call_1")],
                [assistant_message("Your invoice INV-7 is paid.", item_id="msg_1")],
            ]
        )

        def lookup_invoice(invoice: str) -> str:
            return f"{invoice}: paid"

        from agents import function_tool

        agent = Agent(name="Billing", model=model, tools=[function_tool(lookup_invoice)])
        await Runner.run(agent, "Is INV-7 paid?", session=StoreSession("openai-chat", store))
    finally:
        await store.aclose()

    def strands_turns() -> None:
        manager = StoreSessionManager("strands-chat", SQLiteStore(path), close_store=True)
        try:
            agent = StrandsAgent(
                agent_id="helper",
                model=ScriptedModel(["Otters hold hands while they sleep."]),
                session_manager=manager,
                callback_handler=None,
            )
            agent("Tell me an otter fact.")
        finally:
            manager.close()

    await asyncio.to_thread(strands_turns)


async def test_list_shows_sessions_of_both_sdks_and_searches_by_prefix(tmp_path: Path) -> None:
    db = tmp_path / "chat.db"
    await seed_both_sdks(db)
    with Viewer(url_of(db)) as viewer:
        async with browser_page() as page:
            await page.goto(viewer.base + "/")
            rows = page.locator("#sessions tbody tr")
            await rows.nth(1).wait_for()
            ids = await page.locator("#sessions tbody td.id").all_text_contents()
            assert ids == ["openai-chat", "strands-chat"]
            cells = await rows.nth(1).locator("td").all_text_contents()
            assert cells[4] == "2" and "agent:helper: 2" in cells[5]  # records, streams

            await page.fill("#prefix", "strands")
            await page.click("#search button")
            await expect(rows).to_have_count(1)
            assert await page.locator("#sessions tbody td.id").all_text_contents() == [
                "strands-chat"
            ]
            await page.click("text=strands-chat")
            await page.wait_for_url("**/session?id=strands-chat")
            await page.locator(".message").nth(1).wait_for()
            texts = await page.locator(".message .bubble").all_text_contents()
            assert texts == ["Tell me an otter fact.", "Otters hold hands while they sleep."]
            roles = await page.locator(".message .role").all_text_contents()
            assert roles == ["user", "assistant"]


async def test_session_page_shows_the_turns_in_order_with_collapsible_tools(
    tmp_path: Path,
) -> None:
    db = tmp_path / "chat.db"
    await seed_both_sdks(db)
    with Viewer(url_of(db)) as viewer:
        async with browser_page() as page:
            await page.goto(viewer.base + "/session?id=openai-chat")
            messages = page.locator(".message")
            await messages.nth(3).wait_for()
            seqs = [await m.get_attribute("data-seq") for m in await messages.all()]
            assert seqs == ["1", "2", "3", "4"]
            roles = await page.locator(".message .role").all_text_contents()
            assert roles == ["user", "assistant", "tool", "assistant"]
            assert await messages.nth(0).locator(".bubble").text_content() == "Is INV-7 paid?"
            assert "INV-7 is paid" in (await messages.nth(3).text_content() or "")

            call = messages.nth(1).locator("details.tool.call")
            assert await call.get_attribute("open") is None  # collapsed
            assert "lookup_invoice" in (await call.locator("summary").text_content() or "")
            arguments = call.locator("pre")
            assert not await arguments.is_visible()
            await call.locator("summary").click()
            assert await arguments.is_visible()
            assert '"invoice": "INV-7"' in (await arguments.text_content() or "")
            result = messages.nth(2).locator("details.tool.result pre")
            assert await result.text_content() == "INV-7: paid"
            assert await page.locator("#streams .tab.active").text_content() == "main (4)"


async def test_a_record_appended_by_another_process_appears_without_reload(
    tmp_path: Path,
) -> None:
    db = tmp_path / "chat.db"
    async with SQLiteStore(db) as store:
        await store.append(
            "live", [{"role": "user", "content": "first"}], format="openai.responses"
        )
    with Viewer(url_of(db)) as viewer:
        async with browser_page() as page:
            await page.goto(viewer.base + "/session?id=live")
            await page.locator(".live.on").wait_for()
            await page.evaluate("window.__same_page = true")
            writer = await start_python(
                "import asyncio, sys\n"
                "from sessions_plus import open_store\n"
                "async def main():\n"
                "    async with open_store(sys.argv[1]) as store:\n"
                "        await store.append('live', [{'role': 'assistant', 'content': "
                "'written by another process'}], format='openai.responses', author='worker')\n"
                "asyncio.run(main())\n",
                url_of(db),
            )
            await output_of(writer)
            await page.locator(".message").nth(1).wait_for()
            assert await page.evaluate("window.__same_page") is True  # no reload happened
            texts = await page.locator(".message .bubble").all_text_contents()
            assert texts == ["first", "written by another process"]
            assert await page.locator(".message .author").all_text_contents() == ["worker"]


async def test_stored_html_is_shown_as_text_and_never_runs(tmp_path: Path) -> None:
    db = tmp_path / "chat.db"
    sid = f"x{HOSTILE}"
    async with SQLiteStore(db) as store:
        await store.append(sid, [{"role": "user", "content": HOSTILE}], author=HOSTILE)
        await store.append(
            sid,
            [{"message": {"role": "assistant", "content": [{"text": HOSTILE}]}}],
            stream=HOSTILE,
            format="strands.message",
        )
        await store.put_doc(sid, HOSTILE, {"note": HOSTILE})
    with Viewer(url_of(db)) as viewer:
        async with browser_page() as page:
            await page.goto(viewer.base + "/")
            await page.locator("#sessions tbody td.id").first.wait_for()
            assert await page.locator("#sessions tbody td.id").all_text_contents() == [sid]
            await page.click("#sessions tbody td.id a")
            await page.locator(".message").first.wait_for()
            assert await page.locator(".message .bubble").all_text_contents() == [HOSTILE]
            assert await page.locator(".message .author").all_text_contents() == [HOSTILE]
            assert await page.locator("h1").text_content() == sid
            assert await page.locator(".documents summary").all_text_contents() == [HOSTILE]
            await page.locator("#streams .tab", has_text="<script>").click()
            await page.wait_for_url("**stream=*")
            await page.locator(".message").first.wait_for()
            assert await page.locator(".message .bubble").all_text_contents() == [HOSTILE]
            assert await page.evaluate("typeof window.__pwned") == "undefined"
            assert await page.locator("script:not([src])").count() == 0
            assert await page.locator("img[src='x']").count() == 0


async def test_a_request_without_the_token_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "chat.db"
    async with SQLiteStore(db) as store:
        await store.append("secret", [{"role": "user", "content": "top secret"}])
    with Viewer(url_of(db), "--token", "s3cret-token") as viewer:
        for path in ("/", "/session?id=secret", "/api/sessions", "/api/events?id=secret"):
            refused = viewer.get(path)
            assert refused.status_code == 401 and "top secret" not in refused.text, path
        assert viewer.get("/api/sessions?token=wrong").status_code == 401
        assert (
            viewer.get("/api/sessions", headers={"Authorization": "Bearer nope"}).status_code == 401
        )
        allowed = viewer.get("/api/sessions", headers={"Authorization": "Bearer s3cret-token"})
        assert (
            allowed.status_code == 200 and allowed.json()["sessions"][0]["session_id"] == "secret"
        )
        for method in ("post", "put", "delete", "patch"):  # no endpoint writes
            import httpx

            response = httpx.request(
                method.upper(),
                viewer.base + "/api/sessions",
                headers={"Authorization": "Bearer s3cret-token"},
            )
            assert response.status_code == 405, method

        async with browser_page() as page:
            response = await page.goto(viewer.base + "/session?id=secret")
            assert response is not None and response.status == 401
            await page.goto(viewer.base + "/session?id=secret&token=s3cret-token")
            await page.locator(".message").first.wait_for()
            assert page.url == viewer.base + "/session?id=secret"  # token moved into a cookie
            assert await page.locator(".bubble").all_text_contents() == ["top secret"]
            await page.locator(".live.on").wait_for()  # the event stream is allowed too


def test_serve_refuses_a_public_host_without_a_token(tmp_path: Path) -> None:
    db = tmp_path / "chat.db"
    result = subprocess.run(
        [sys.executable, "-m", "sessions_plus", "serve", url_of(db), "--host", "0.0.0.0"],
        capture_output=True,
        text=True,
        env=child_env(),
        timeout=60,
    )
    assert result.returncode == 2
    assert "refusing to serve on 0.0.0.0 without --token" in result.stderr


@pytest.mark.parametrize("host", ["127.0.0.1", "127.8.9.10", "::1", "localhost", "[::1]:80"])
def test_loopback_names(host: str) -> None:
    from sessions_plus.viewer import is_loopback

    assert is_loopback(host)
    assert not is_loopback(host.replace("127", "128").replace("::1", "::2").replace("local", "x"))
