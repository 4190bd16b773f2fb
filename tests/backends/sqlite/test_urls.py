"""``sqlite://`` URLs: path forms, options, bad URLs."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from sessions_plus import ConfigurationError, open_store
from sessions_plus.backends.sqlite import SQLiteStore


def test_url_forms(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for url in ("sqlite://:memory:", "sqlite:///:memory:"):
        store = open_store(url)
        assert isinstance(store, SQLiteStore) and store.path == ":memory:"
        store.close()

    monkeypatch.chdir(tmp_path)
    relative = open_store("sqlite:///rel.db")
    assert isinstance(relative, SQLiteStore) and relative.path == "rel.db"
    asyncio.run(relative.append("s", [1]))
    relative.close()
    assert (tmp_path / "rel.db").is_file()

    absolute = open_store(f"sqlite:///{tmp_path}/sub%20dir.db")
    assert isinstance(absolute, SQLiteStore) and absolute.path == f"{tmp_path}/sub dir.db"
    absolute.close()

    url = (
        f"sqlite:///{tmp_path}/o.db?ttl=60&refresh_on_read=true&busy_timeout=2.5"
        "&table_prefix=app&on_corrupt=skip&max_record_bytes=1000&synchronous=full"
    )
    store = open_store(url)
    assert isinstance(store, SQLiteStore)
    assert (store.ttl, store.refresh_on_read, store.busy_timeout) == (60.0, True, 2.5)
    assert (store.tables.prefix, store.on_corrupt, store.codec.max_record_bytes) == (
        "app",
        "skip",
        1000,
    )
    assert store.synchronous == "full"
    store.close()
    override = open_store(f"sqlite:///{tmp_path}/o.db?ttl=60", ttl=5)
    assert override.ttl == 5.0
    asyncio.run(override.aclose())


@pytest.mark.parametrize(
    ("url", "match"),
    [
        ("sqlite:///x.db?bogus=1", "unknown option"),
        ("sqlite:///x.db?table_prefix=bad-name", "table_prefix"),
        ("sqlite:///x.db?busy_timeout=soon", "busy_timeout"),
        ("sqlite:///x.db?synchronous=off", "synchronous"),
        ("sqlite://host/x.db", "no host"),
        ("sqlite://", "no path"),
        ("sqlite:///", "no path"),
    ],
)
def test_bad_urls_raise_configuration_error(url: str, match: str) -> None:
    with pytest.raises(ConfigurationError, match=match):
        open_store(url)
