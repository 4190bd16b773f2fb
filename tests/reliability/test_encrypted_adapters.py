"""EncryptedStore under both SDK adapters, driven offline by scripted models, on every backend."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from agents import Agent as OpenAIAgent
from agents import Runner
from agents.testing import ScriptedModel as OpenAIScriptedModel
from agents.testing import assistant_message
from strands import Agent as StrandsAgent

from sessions_plus import CorruptRecordError, EncryptedStore
from sessions_plus.openai_agents import StoreSession
from sessions_plus.strands import StoreSessionManager
from tests.fixtures.factory import StoreFactory
from tests.fixtures.strands import ScriptedModel as StrandsScriptedModel

Keys = list[tuple[str, bytes]]
SECRET = "my passport number is X1234567"


async def stored_text(factory: StoreFactory, inner: Any, sid: str) -> str:
    """Everything the inner store holds for a session, as text."""
    info = await inner.info(sid)
    assert info is not None
    parts = []
    for stream in info.streams:
        parts += [json.dumps(r.data) for r in await inner.read(sid, stream=stream)]
    for name in await inner.list_docs(sid):
        parts.append(json.dumps(await inner.get_doc(sid, name)))
    return "\n".join(parts)


async def test_openai_runner_on_an_encrypted_store(store_factory: StoreFactory, keys: Keys) -> None:
    inner = store_factory()
    session = StoreSession("chat", EncryptedStore(inner, keys=keys, close_store=False))
    model = OpenAIScriptedModel(
        [[assistant_message("Noted.", item_id="m1")], [assistant_message("X1234567", item_id="m2")]]
    )
    agent = OpenAIAgent(name="Assistant", instructions="Be brief.", model=model)
    await Runner.run(agent, SECRET, session=session)
    result = await Runner.run(agent, "What is my passport number?", session=session)
    assert result.final_output == "X1234567"
    second_input = json.dumps(model.calls[1].input)
    assert SECRET in second_input  # the model saw the decrypted history
    items = await session.get_items()
    assert [i.get("role") for i in items] == ["user", "assistant", "user", "assistant"]
    assert await session.pop_item() == items[-1]

    raw = await stored_text(store_factory, inner, "chat")
    assert "passport" not in raw and "X1234567" not in raw and '"k": "k2"' in raw

    # Another key set cannot read the conversation: typed error, no plaintext.
    stranger = StoreSession(
        "chat",
        EncryptedStore(inner, keys=[("k2", EncryptedStore.generate_key())], close_store=False),
    )
    try:
        await stranger.get_items()
    except CorruptRecordError as exc:
        assert exc.session_id == "chat" and SECRET not in str(exc)
    else:
        raise AssertionError("a wrong key read the conversation")


def test_strands_agent_on_an_encrypted_store(store_factory: StoreFactory, keys: Keys) -> None:
    inner = store_factory()

    def manager() -> StoreSessionManager:
        return StoreSessionManager(
            "chat", EncryptedStore(inner, keys=keys, close_store=False), close_store=True
        )

    with manager() as first:
        bot = StrandsAgent(
            model=StrandsScriptedModel(["Noted."]),
            session_manager=first,
            agent_id="assistant",
            callback_handler=None,
        )
        bot(SECRET)
        bot.state.set("secret_state", SECRET)
        bot("thanks")

    # A fresh agent restores the conversation and its state through the encrypted store.
    model = StrandsScriptedModel(["X1234567"])
    with manager() as second:
        bot = StrandsAgent(
            model=model, session_manager=second, agent_id="assistant", callback_handler=None
        )
        assert bot.state.get("secret_state") == SECRET
        bot("What is my passport number?")
        assert SECRET in model.texts_seen(0)

    raw = asyncio.run(stored_text(store_factory, inner, "chat"))
    assert "passport" not in raw and "X1234567" not in raw and '"k": "k2"' in raw
