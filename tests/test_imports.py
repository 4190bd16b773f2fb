"""``import sessions_plus`` needs no optional dependency and loads none."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
OPTIONAL = ["redis", "aiobotocore", "botocore", "boto3", "aioboto3", "agents", "strands"]


def run_python(code: str) -> str:
    """Run ``code`` in a fresh interpreter (clean sys.modules) and return its stdout."""
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_import_pulls_in_no_optional_dependency() -> None:
    out = run_python(
        "import sys, json\n"
        "import sessions_plus\n"
        "from sessions_plus import open_store, MemoryStore, ConversationStore\n"
        "open_store('memory://')\n"
        f"optional = {OPTIONAL!r}\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in optional)\n"
        "print(json.dumps(loaded))\n"
    )
    assert json.loads(out) == []


def test_import_works_with_the_optional_dependencies_missing() -> None:
    """Simulate a bare install: every optional package fails to import."""
    out = run_python(
        "import sys, asyncio\n"
        f"for name in {OPTIONAL!r}:\n"
        "    sys.modules[name] = None  # makes 'import name' raise ImportError\n"
        "import sessions_plus\n"
        "async def main():\n"
        "    async with sessions_plus.open_store('memory://?ttl=60') as store:\n"
        "        print(await store.append('s', ['ok']))\n"
        "asyncio.run(main())\n"
        "print(sessions_plus.__version__)\n"
    )
    assert out.split() == ["[1]", "0.1.0"]


def test_public_names_resolve() -> None:
    import sessions_plus

    for name in sessions_plus.__all__:
        assert getattr(sessions_plus, name) is not None, name
    with pytest.raises(AttributeError, match="NoSuchThing"):
        getattr(sessions_plus, "NoSuchThing")
