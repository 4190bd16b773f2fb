"""sessions_plus.traces is SDK-free: importing and using it loads no SDK and no client library."""

from __future__ import annotations

import json

from tests.test_imports import OPTIONAL, run_python


def test_traces_load_no_optional_dependency() -> None:
    out = run_python(
        "import sys, json, asyncio\n"
        f"for name in {OPTIONAL!r}:\n"
        "    sys.modules[name] = None  # makes 'import name' raise ImportError\n"
        "from sessions_plus import MemoryStore\n"
        "from sessions_plus import traces\n"
        "async def main():\n"
        "    store = MemoryStore()\n"
        "    run = traces.TraceRecorder(store, 's', sdk='x').start_run('a', 'q')\n"
        "    run.end('a', 'ok')\n"
        "    await run.flush()\n"
        "    print(json.dumps((await traces.get_reasoning(store, 's')).status))\n"
        "asyncio.run(main())\n"
    )
    assert json.loads(out) == "completed"
