"""open_store: URL schemes, options from the query string and keywords, loud errors."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import SplitResult

import pytest

from sessions_plus import ConfigurationError, MemoryStore, open_store, register_scheme
from sessions_plus import registry as registry_module
from sessions_plus.registry import common_options, pop_bool, pop_float, reject_unknown


async def test_memory_url_opens_a_working_store() -> None:
    store = open_store("memory://")
    assert isinstance(store, MemoryStore)
    assert (store.ttl, store.refresh_on_read, store.on_corrupt) == (None, False, "raise")
    async with store:
        assert await store.append("s", ["hello"]) == [1]
        assert [r.data for r in await store.read("s")] == ["hello"]
    assert store.closed


def test_scheme_is_case_insensitive() -> None:
    assert isinstance(open_store("MEMORY://"), MemoryStore)


def test_options_in_the_query() -> None:
    store = open_store(
        "memory://?ttl=3600&refresh_on_read=true&on_corrupt=skip&max_record_bytes=1000"
    )
    assert store.ttl == 3600.0
    assert store.refresh_on_read is True
    assert store.on_corrupt == "skip"
    assert store.codec.max_record_bytes == 1000
    assert open_store("memory://?ttl=0.5").ttl == 0.5
    assert open_store("memory://?ttl=").ttl is None
    assert open_store("memory://?ttl=none").ttl is None
    assert open_store("memory://?refresh_on_read=0").refresh_on_read is False


def test_keyword_options_override_the_query() -> None:
    store = open_store("memory://?ttl=60&refresh_on_read=yes", ttl=5, refresh_on_read=False)
    assert store.ttl == 5.0
    assert store.refresh_on_read is False
    assert open_store("memory://?ttl=60", ttl=None).ttl is None
    assert open_store("memory://", max_record_bytes=64).codec.max_record_bytes == 64
    assert open_store("memory://", on_corrupt="skip").on_corrupt == "skip"


@pytest.mark.parametrize(
    ("url", "match"),
    [
        ("nosuch://x", "unknown store URL scheme 'nosuch'"),
        ("chat.db", "has no scheme"),
        ("memory://?bogus=1", "unknown option.*bogus"),
        (
            "memory://?ttl=60&colour=red&bogus=1",
            r"for memory://: bogus, colour$",
        ),
        ("memory://?ttl=abc", "ttl='abc' is not a number"),
        ("memory://?ttl=0", "ttl must be greater than zero"),
        ("memory://?ttl=-5", "ttl must be greater than zero"),
        ("memory://?ttl=inf", "ttl must be greater than zero"),
        ("memory://?ttl=nan", "ttl must be greater than zero"),
        ("memory://?refresh_on_read=maybe", "is not a boolean"),
        ("memory://?on_corrupt=ignore", "on_corrupt must be"),
        ("memory://?max_record_bytes=abc", "max_record_bytes='abc' is not an int"),
        ("memory://?max_record_bytes=1.5", "max_record_bytes='1.5' is not an int"),
        ("memory://?max_record_bytes=0", "max_record_bytes must be a positive int"),
        ("memory://?max_record_bytes=-1", "max_record_bytes must be a positive int"),
    ],
)
def test_bad_urls_and_values_raise_configuration_error(url: str, match: str) -> None:
    with pytest.raises(ConfigurationError, match=match):
        open_store(url)


def test_unknown_scheme_lists_the_known_ones() -> None:
    with pytest.raises(ConfigurationError) as caught:
        open_store("postgres://db")
    for scheme in ("memory", "sqlite", "redis", "dynamodb"):
        assert scheme in str(caught.value)


def test_bad_keyword_values_raise_configuration_error() -> None:
    with pytest.raises(ConfigurationError):
        open_store("memory://", ttl=-1)
    with pytest.raises(ConfigurationError):
        open_store("memory://", unknown_option=1)


@pytest.fixture
def custom_scheme() -> Iterator[list[tuple[SplitResult, dict[str, str]]]]:
    calls: list[tuple[SplitResult, dict[str, str]]] = []

    def factory(parts: SplitResult, query: dict[str, str]) -> MemoryStore:
        calls.append((parts, dict(query)))
        query.pop("x", None)
        options = common_options(query)
        reject_unknown(query, "test-scheme")
        return MemoryStore(**options)

    register_scheme("Test-Scheme", factory)
    yield calls
    registry_module._CUSTOM.pop("test-scheme", None)


def test_register_scheme_receives_url_parts_and_merged_options(
    custom_scheme: list[tuple[SplitResult, dict[str, str]]],
) -> None:
    store = open_store("test-scheme://host:1234/path/db?ttl=9&x=1", x=2, ttl=None)
    parts, query = custom_scheme[0]
    assert (parts.hostname, parts.port, parts.path) == ("host", 1234, "/path/db")
    assert query == {"ttl": "None", "x": "2"}
    assert isinstance(store, MemoryStore)
    with pytest.raises(ConfigurationError, match=r"unknown option.*: y$"):
        open_store("test-scheme://h?x=1&y=1")


def test_pop_helpers() -> None:
    query: dict[str, Any] = {"a": "1.5", "b": "off", "c": "x"}
    assert pop_float(query, "a") == 1.5
    assert pop_float(query, "missing") is None
    assert pop_bool(query, "b", default=True) is False
    assert pop_bool(query, "missing", default=True) is True
    with pytest.raises(ConfigurationError):
        pop_float({"c": "x"}, "c")
    with pytest.raises(ConfigurationError):
        pop_bool({"c": "x"}, "c")
    assert query == {"c": "x"}
    for word, value in [("1", True), ("YES", True), (" on ", True), ("false", False), ("", False)]:
        assert pop_bool({"k": word}, "k") is value


def test_one_table_serves_open_store_new_store_and_the_package() -> None:
    import sessions_plus
    from sessions_plus.registry import BACKENDS, backend_for_scheme, new_store, store_class

    for backend in BACKENDS:
        cls = store_class(backend.name)
        assert cls.__name__ == backend.class_name
        assert getattr(sessions_plus, backend.class_name) is cls
        for scheme in backend.schemes:
            assert backend_for_scheme(scheme.upper()) is backend
    store = new_store("memory", ttl=5)
    assert isinstance(store, MemoryStore) and store.ttl == 5.0
    sqlite = new_store("sqlite", ":memory:", table_prefix="dropin")
    assert type(sqlite).__name__ == "SQLiteStore"


def test_unknown_backend_name_is_a_configuration_error() -> None:
    from sessions_plus.registry import new_store

    with pytest.raises(ConfigurationError, match=r"unknown backend 'postgres'; known: .*sqlite"):
        new_store("postgres")


def test_typed_keyword_options_reach_the_backend_unchanged() -> None:
    store = open_store("sqlite://:memory:", busy_timeout=1.5, ttl=60, refresh_on_read=True)
    assert (store.busy_timeout, store.ttl, store.refresh_on_read) == (1.5, 60.0, True)  # type: ignore[attr-defined]
    with pytest.raises(ConfigurationError, match="not a number"):
        open_store("memory://", ttl="soon")
    with pytest.raises(ConfigurationError, match="not a boolean"):
        open_store("memory://", refresh_on_read=3)


def test_retention_and_read_only_options_from_the_url() -> None:
    store = open_store("memory://?max_records=3&read_only=true&refresh_on_read=true&ttl=5")
    assert (store.max_records, store.read_only, store.refresh_on_read) == (3, True, False)
    assert open_store("memory://?read_only=0").read_only is False
    with pytest.raises(ConfigurationError, match="max_records"):
        open_store("memory://?max_records=0")
    with pytest.raises(ConfigurationError, match="not an int"):
        open_store("memory://?max_records=2.5")
