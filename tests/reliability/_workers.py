"""Child-process bodies for the fault tests (importable by ``spawn``)."""

from __future__ import annotations

import asyncio

from sessions_plus import EncryptedStore, open_store

BATCH = 20


def append_forever(url: str, session: str, tag: int, keys: list[tuple[str, bytes]] | None) -> None:
    """Append batches of BATCH records ``{"t": tag, "b": n, "k": 0..BATCH-1}`` until killed."""

    async def run() -> None:
        store = open_store(url)
        if keys:
            store = EncryptedStore(store, keys=keys)
        async with store:
            n = 0
            while True:
                await store.append(session, [{"t": tag, "b": n, "k": k} for k in range(BATCH)])
                n += 1

    asyncio.run(run())
