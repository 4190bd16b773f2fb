"""Two worker processes take turns on ONE conversation stored in Redis; nothing is lost.

    python examples/redis_workers.py                      # starts a throwaway local redis-server
    REDIS_URL=redis://localhost:6379/0 python examples/redis_workers.py
    REDIS_URL=redis+cluster://localhost:7000 python examples/redis_workers.py   # Redis Cluster

Each worker is a separate Python process running an OpenAI Agents SDK agent with the drop-in
``sessions_plus.openai_agents.RedisSession``. The agents run offline on a scripted model, so no
API key is needed. Both workers write the same session at the same time; every append is one
atomic Lua script, so the combined history keeps every turn of both, each worker's turns in its
own order. Without REDIS_URL the example needs Debian's ``redis-server`` (apt-get install
redis-server) and runs from a checkout of the repository (it uses integrations/redis/).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
TURNS = 4


async def worker(name: str, url: str, session_id: str) -> None:
    """One worker process: TURNS user turns on the shared session."""
    from agents import Agent, Runner, set_tracing_disabled
    from agents.testing import ScriptedModel, assistant_message

    from sessions_plus.openai_agents import RedisSession

    set_tracing_disabled(True)
    model = ScriptedModel(
        [[assistant_message(f"{name} answers request {n}")] for n in range(TURNS)]
    )
    agent = Agent(name=name, instructions="Answer briefly.", model=model)
    session = RedisSession.from_url(session_id, url=url, ttl=3600)
    try:
        # Start together: each worker leaves a document in the session and waits for the other.
        await session.store.put_doc(session_id, f"ready/{name}", True)
        while len(await session.store.list_docs(session_id, prefix="ready/")) < 2:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        for n in range(TURNS):
            await Runner.run(agent, f"request {n} for {name}", session=session)
            await asyncio.sleep(0.02)  # let the other worker in between turns
    finally:
        await session.close()


async def show(url: str, session_id: str) -> int:
    """Print the combined history; return the number of items."""
    from sessions_plus.openai_agents import RedisSession

    session = RedisSession.from_url(session_id, url=url)
    try:
        items = await session.get_items()
    finally:
        await session.close()
    print(f"session {session_id!r}: {len(items)} items")
    for index, item in enumerate(items, 1):
        content = item.get("content")  # type: ignore[union-attr]
        if isinstance(content, list):
            content = " ".join(part.get("text", "") for part in content)
        print(f"{index:3}. {item.get('role', '?'):9} {content}")  # type: ignore[union-attr]
    return len(items)


def run_workers(url: str) -> int:
    session_id = f"support-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), *sys.path])}
    procs = [
        subprocess.Popen([sys.executable, __file__, "--worker", name, url, session_id], env=env)
        for name in ("worker-a", "worker-b")
    ]
    if any(proc.wait() != 0 for proc in procs):
        print("a worker failed", file=sys.stderr)
        return 1
    count = asyncio.run(show(url, session_id))
    expected = 2 * TURNS * 2  # two workers x turns x (user message + answer)
    print("nothing lost" if count == expected else f"expected {expected} items!")
    return 0 if count == expected else 1


def main() -> int:
    if len(sys.argv) == 5 and sys.argv[1] == "--worker":
        asyncio.run(worker(sys.argv[2], sys.argv[3], sys.argv[4]))
        return 0
    url = os.environ.get("REDIS_URL")
    if url:
        return run_workers(url)
    sys.path.insert(0, str(REPO_ROOT))
    from integrations.redis.servers import RedisServer

    with RedisServer() as server:
        print(f"started a throwaway redis-server at {server.url}")
        return run_workers(server.url)


if __name__ == "__main__":
    sys.exit(main())
