"""Store URLs: ``open_store("scheme://...")`` picks the backend registered for the scheme."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any
from urllib.parse import SplitResult, parse_qsl, urlsplit

from .errors import ConfigurationError
from .store import ConversationStore

StoreFactory = Callable[[SplitResult, dict[str, str]], ConversationStore]

_FACTORIES: dict[str, StoreFactory] = {}

# Schemes whose backend module registers itself on import (so optional clients load lazily).
_LAZY: dict[str, str] = {
    "memory": "sessions_plus.backends.memory",
    "sqlite": "sessions_plus.backends.sqlite",
    "redis": "sessions_plus.backends.redis",
    "rediss": "sessions_plus.backends.redis",
    "redis+cluster": "sessions_plus.backends.redis",
    "rediss+cluster": "sessions_plus.backends.redis",
    "dynamodb": "sessions_plus.backends.dynamodb",
}


def register_scheme(scheme: str, factory: StoreFactory) -> None:
    """Register ``factory(url_parts, query_options) -> store`` for a URL scheme."""
    _FACTORIES[scheme.lower()] = factory


def open_store(url: str, **options: Any) -> ConversationStore:
    """Open a store from a URL; query parameters and ``options`` become store options.

    Known schemes: ``memory://``, ``sqlite:///relative.db``, ``sqlite:////absolute.db``,
    ``sqlite://:memory:``; later backends add theirs (see the README). Example:
    ``open_store("sqlite:///chat.db?ttl=3600")``. Keyword ``options`` override the query.
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if not scheme:
        raise ConfigurationError(f"store URL {url!r} has no scheme (e.g. 'sqlite:///chat.db')")
    if scheme not in _FACTORIES and scheme in _LAZY:
        importlib.import_module(_LAZY[scheme])
    factory = _FACTORIES.get(scheme)
    if factory is None:
        known = ", ".join(sorted(set(_FACTORIES) | set(_LAZY)))
        raise ConfigurationError(f"unknown store URL scheme {scheme!r}; known: {known}")
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    query.update({key: str(value) for key, value in options.items()})
    return factory(parts, query)


def pop_float(query: dict[str, str], key: str) -> float | None:
    """Take an optional number option out of a URL query."""
    raw = query.pop(key, None)
    if raw is None or raw == "" or raw.lower() == "none":
        return None
    try:
        return float(raw)
    except ValueError:
        raise ConfigurationError(f"option {key}={raw!r} is not a number") from None


def pop_bool(query: dict[str, str], key: str, default: bool = False) -> bool:
    """Take an optional boolean option (1/0, true/false, yes/no, on/off) out of a URL query."""
    raw = query.pop(key, None)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off", ""):
        return False
    raise ConfigurationError(f"option {key}={raw!r} is not a boolean")


def common_options(query: dict[str, str]) -> dict[str, Any]:
    """Take the options every store shares (ttl, refresh_on_read, on_corrupt, max_record_bytes)."""
    options: dict[str, Any] = {
        "ttl": pop_float(query, "ttl"),
        "refresh_on_read": pop_bool(query, "refresh_on_read"),
    }
    if "on_corrupt" in query:
        options["on_corrupt"] = query.pop("on_corrupt")
    if "max_record_bytes" in query:
        raw = query.pop("max_record_bytes")
        try:
            options["max_record_bytes"] = int(raw)
        except ValueError:
            raise ConfigurationError(f"option max_record_bytes={raw!r} is not an int") from None
    return options


def reject_unknown(query: dict[str, str], scheme: str) -> None:
    """Fail loudly on options nobody consumed, rather than ignoring a typo."""
    if query:
        raise ConfigurationError(f"unknown option(s) for {scheme}://: {', '.join(sorted(query))}")
