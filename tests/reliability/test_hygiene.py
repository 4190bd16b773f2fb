"""Hygiene: no code execution from stored data, no secrets in logs or errors.

SQLite file modes (0600 for the database and its -wal/-shm files) are tested in
tests/test_sqlite.py; a SQLite writer SIGKILLed mid-transaction in tests/test_sqlite.py too
(and across backends, plain and encrypted, in test_faults.py).
"""

from __future__ import annotations

import ast
import base64
import logging
from pathlib import Path
from typing import Any

import pytest

from sessions_plus import (
    ConfigurationError,
    CorruptRecordError,
    EncryptedStore,
    MemoryStore,
    SessionsPlusError,
    open_store,
)

PACKAGE = Path(__file__).resolve().parents[2] / "sessions_plus"
FORBIDDEN_MODULES = {"pickle", "cPickle", "_pickle", "marshal", "shelve", "dill", "cloudpickle"}
FORBIDDEN_CALLS = {"eval", "exec", "compile", "__import__"}


def _python_files() -> list[Path]:
    files = sorted(PACKAGE.rglob("*.py"))
    assert len(files) > 10, "the package was not found"
    return files


def scan(source: str, name: str) -> list[str]:
    """Every import of a forbidden module and call of eval/exec/compile/pickle.loads-like."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source, filename=name)):
        where = f"{name}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Import):
            found += [
                f"{where} import {a.name}"
                for a in node.names
                if a.name.split(".")[0] in FORBIDDEN_MODULES
            ]
        elif isinstance(node, ast.ImportFrom):
            if (node.module or "").split(".")[0] in FORBIDDEN_MODULES:
                found.append(f"{where} from {node.module} import")
        elif isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id in FORBIDDEN_CALLS:
                found.append(f"{where} {func.id}()")
            if isinstance(func, ast.Attribute) and func.attr in {"loads", "load"}:
                owner = func.value
                if isinstance(owner, ast.Name) and owner.id in FORBIDDEN_MODULES | {"yaml"}:
                    found.append(f"{where} {owner.id}.{func.attr}()")
    return found


def test_no_pickle_eval_exec_or_marshal_in_the_package() -> None:
    found: list[str] = []
    for path in _python_files():
        found += scan(path.read_text(), str(path.relative_to(PACKAGE.parent)))
    assert found == []


def test_the_scan_finds_each_forbidden_form() -> None:
    source = (
        "import pickle\nimport shelve as s\nfrom marshal import loads\n"
        "eval('1')\nexec('x=1')\ncompile('1', 'f', 'eval')\nyaml.load(s)\npickle.loads(b)\n"
    )
    assert len(scan(source, "sample")) == 8
    assert scan("import json\njson.loads('1')\nclient.evalsha(sha)\n", "ok") == []


def _secret_forms(secret: bytes | str) -> list[str]:
    raw = secret.encode() if isinstance(secret, str) else secret
    forms = [raw.hex(), base64.b64encode(raw).decode(), repr(raw)]
    if isinstance(secret, str):
        forms.append(secret)
    return forms


async def test_keys_and_plaintext_never_reach_logs_or_errors(caplog: Any) -> None:
    key = EncryptedStore.generate_key()
    inner = MemoryStore()
    store = EncryptedStore(inner, keys={"k": key})
    plaintext = "top secret plaintext"
    await store.append("s", [plaintext, plaintext])
    await store.put_doc("s", "d", plaintext)
    envelope = (await inner.read("s"))[0].data
    await inner.replace("s", 1, {**envelope, "c": envelope["c"][::-1]})  # tampered
    await inner.put_doc("s", "d", {**envelope})  # a record's envelope where a doc should be
    errors: list[str] = []
    with caplog.at_level(logging.DEBUG):
        for attempt in (lambda: store.read("s"), lambda: store.get_doc("s", "d")):
            with pytest.raises(CorruptRecordError) as info:
                await attempt()
            errors.append(f"{info.value} {info.value!r}")
        store.on_corrupt = "skip"
        assert [r.data for r in await store.read("s")] == [plaintext]
        wrong = EncryptedStore(inner, keys={"k": EncryptedStore.generate_key()}, on_corrupt="skip")
        assert await wrong.read("s") == []
    assert len([r for r in caplog.records if r.levelno >= logging.WARNING]) == 3
    text = caplog.text + "\n".join(errors) + repr(store) + repr(wrong)
    for form in _secret_forms(key):
        assert form not in text
    assert plaintext not in text


def test_redis_password_never_reaches_logs_errors_or_repr(redis_server: Any, caplog: Any) -> None:
    """A wrong password in the URL fails with a typed error that does not echo it."""
    import asyncio

    password = "s3cr3t-Pa55word"
    url = f"redis://app:{password}@127.0.0.1:{redis_server.port}/0"
    errors: list[str] = []

    async def attempt() -> None:
        store = open_store(url, key_prefix="hygiene")
        try:
            errors.append(repr(store))
            with pytest.raises(SessionsPlusError) as info:
                await store.append("s", ["x"])
            errors.append(f"{info.value} {info.value!r} {info.value.__cause__!r}")
        finally:
            await store.aclose()

    with caplog.at_level(logging.DEBUG):
        asyncio.run(attempt())
        for bad in (f"redis://app:{password}@127.0.0.1:notaport/0", f"redis://:{password}@/0"):
            with pytest.raises(ConfigurationError) as info:
                open_store(bad)
            errors.append(str(info.value))
    text = caplog.text + "\n".join(errors)
    assert password not in text
