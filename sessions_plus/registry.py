"""Backends by name and URL scheme: the one table ``open_store`` and ``sessions_plus`` read.

Adapters never import a backend: they get stores from here, by URL (:func:`open_store`) or by
backend name with typed arguments (:func:`new_store`, for drop-ins that hand over a client
object). Adding a backend is one row in :data:`BACKENDS` and touches no adapter. A backend's
module is imported on first use, so an optional client library (redis-py, aiobotocore) that is
not installed costs nothing until its backend is asked for, and then raises one clear
:class:`~sessions_plus.MissingDependencyError` naming the extra to install.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import SplitResult, parse_qsl, urlsplit

from .errors import ConfigurationError
from .options import common_options, pop_bool, pop_float, reject_unknown
from .store import ConversationStore

__all__ = [
    "BACKENDS",
    "Backend",
    "StoreFactory",
    "backend_for_scheme",
    "common_options",
    "new_store",
    "open_store",
    "pop_bool",
    "pop_float",
    "register_scheme",
    "reject_unknown",
    "store_class",
]


@dataclass(frozen=True, slots=True)
class Backend:
    """One row of the backend table."""

    name: str
    """The name :func:`new_store` takes (``"sqlite"``)."""
    schemes: tuple[str, ...]
    """URL schemes :func:`open_store` maps to it."""
    module: str
    """Module that defines the store class, imported on first use."""
    class_name: str
    """The store class, also exported lazily as ``sessions_plus.<class_name>``."""
    extra: str | None
    """The pip extra its client library comes with (None: nothing to install)."""


BACKENDS: tuple[Backend, ...] = (
    Backend("memory", ("memory",), "sessions_plus.backends.memory", "MemoryStore", None),
    Backend("sqlite", ("sqlite",), "sessions_plus.backends.sqlite", "SQLiteStore", None),
    Backend(
        "redis",
        ("redis", "rediss", "redis+cluster", "rediss+cluster", "redis+sentinel", "rediss+sentinel"),
        "sessions_plus.backends.redis",
        "RedisStore",
        "redis",
    ),
    Backend(
        "dynamodb", ("dynamodb",), "sessions_plus.backends.dynamodb", "DynamoDBStore", "dynamodb"
    ),
    Backend(
        "fakeredis", ("redis+fake",), "sessions_plus.testing.fakeredis", "FakeRedisStore", "testing"
    ),
)
"""Every built-in backend."""

StoreFactory = Callable[[SplitResult, dict[str, str]], ConversationStore]
"""``factory(url_parts, query_options) -> store`` of a custom scheme (:func:`register_scheme`)."""

_CUSTOM: dict[str, StoreFactory] = {}
_BY_NAME = {backend.name: backend for backend in BACKENDS}
_BY_SCHEME = {scheme: backend for backend in BACKENDS for scheme in backend.schemes}


def register_scheme(scheme: str, factory: StoreFactory) -> None:
    """Register ``factory(url_parts, query_options) -> store`` for a URL scheme of your own.

    The factory gets the query merged with ``open_store``'s keyword options, all as strings;
    :func:`common_options`, :func:`pop_float`, :func:`pop_bool` and :func:`reject_unknown` help
    parse them. A registered scheme takes precedence over a built-in one.
    """
    _CUSTOM[scheme.lower()] = factory


def backend_for_scheme(scheme: str) -> Backend | None:
    """The built-in backend serving a URL scheme, or None."""
    return _BY_SCHEME.get(scheme.lower())


def store_class(name: str) -> type[ConversationStore]:
    """The store class of backend ``name`` (``"sqlite"``, ``"redis"`` ...), imported now.

    Raises :class:`ConfigurationError` for an unknown name and
    :class:`~sessions_plus.MissingDependencyError` when its extra is not installed.
    """
    backend = _BY_NAME.get(name)
    if backend is None:
        known = ", ".join(sorted(_BY_NAME))
        raise ConfigurationError(f"unknown backend {name!r}; known: {known}")
    cls: type[ConversationStore] = getattr(
        importlib.import_module(backend.module), backend.class_name
    )
    return cls


def new_store(name: str, /, *args: Any, **options: Any) -> ConversationStore:
    """Make a store of backend ``name`` with its constructor's own (typed) arguments.

    ``new_store("sqlite", "chat.db", ttl=3600)`` is ``SQLiteStore("chat.db", ttl=3600)`` without
    importing the backend: what the SDK drop-ins use, so they never name a backend module.
    """
    return store_class(name)(*args, **options)


def open_store(url: str, **options: Any) -> ConversationStore:
    """Open a store from a URL; query parameters and keyword ``options`` become store options.

    Schemes: ``memory://``, ``sqlite:///relative.db``, ``sqlite:////absolute.db``,
    ``sqlite://:memory:``, ``redis://``, ``rediss://``, ``redis+cluster://``,
    ``rediss+cluster://``, ``redis+sentinel://``, ``rediss+sentinel://``, ``dynamodb://TABLE``,
    ``redis+fake://[NAME]`` (in-process, for tests: :mod:`sessions_plus.testing.fakeredis`; see
    the docs for each one's options), and any registered with :func:`register_scheme`.
    Example: ``open_store("sqlite:///chat.db?ttl=3600")``.
    Keyword ``options`` override the query; unknown options raise :class:`ConfigurationError`.
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if not scheme:
        raise ConfigurationError(f"store URL {url!r} has no scheme (e.g. 'sqlite:///chat.db')")
    custom = _CUSTOM.get(scheme)
    if custom is not None:
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        query.update({key: str(value) for key, value in options.items()})
        return custom(parts, query)
    backend = _BY_SCHEME.get(scheme)
    if backend is None:
        known = ", ".join(sorted(set(_CUSTOM) | set(_BY_SCHEME)))
        raise ConfigurationError(f"unknown store URL scheme {scheme!r}; known: {known}")
    return store_class(backend.name).from_url(url, **options)
