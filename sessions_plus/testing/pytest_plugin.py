"""pytest fixtures for applications that use sessions-plus (plugin ``sessions_plus``).

Installing sessions-plus registers this module as a pytest plugin (entry point ``pytest11``);
``-p no:sessions_plus`` turns it off. It only defines fixtures, a marker and an option, so it
costs nothing in a test that asks for none of them, and it imports no SDK until a fixture needs
one.

* ``sessions_plus_store``: a fresh, isolated store for each test, opened from a URL:
  the ``sessions_plus_store(url=..., **options)`` marker on the test, else
  ``--sessions-plus-url``, else the ``sessions_plus_url`` ini option, else ``memory://``.
  Options of the marker are keyword options of ``open_store`` (``ttl=60``...). The fixture is
  synchronous (stores work from any event loop), so it needs no async plugin.
* ``sessions_plus_url``: that test's isolated URL, for a second store object or a drop-in.
* ``strands_scripted_model``: ``make(replies) -> sessions_plus.testing.ScriptedModel``.
* ``openai_scripted_model``: ``make(steps) -> agents.testing.ScriptedModel``; a plain string
  step is a shorthand for one assistant message.

How each URL is isolated: ``memory://`` and ``sqlite://:memory:`` are fresh objects;
``sqlite://`` (no path) is a file in the test's ``tmp_path``; ``sqlite:///file.db`` gets a
``table_prefix`` of its own; Redis URLs (``redis://``, ``rediss://``, ``redis+cluster://``,
``redis+fake://``...) get a ``key_prefix`` of their own and the sessions under it are deleted
after the test; any other URL (``dynamodb://``, a registered scheme) is opened as given and the
sessions the test created are deleted after it: point it at a test table.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest

from ..loops.fresh import run_in_fresh_loop
from ..registry import open_store
from ..store import ConversationStore

__all__ = [
    "DEFAULT_URL",
    "isolated_url",
    "openai_scripted_model",
    "sessions_plus_store",
    "sessions_plus_url",
    "strands_scripted_model",
]

DEFAULT_URL = "memory://"
MARKER = "sessions_plus_store"
_REDIS_SCHEMES = frozenset(
    {"redis", "rediss", "redis+cluster", "rediss+cluster", "redis+fake"},
)
_SWEPT = frozenset({"memory", "sqlite"})
"""Schemes whose isolation needs no cleanup (a fresh object, file or table prefix)."""


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("sessions-plus")
    group.addoption(
        "--sessions-plus-url",
        dest="sessions_plus_url",
        default=None,
        help=f"store URL for the sessions_plus_store fixture (default {DEFAULT_URL})",
    )
    parser.addini("sessions_plus_url", f"store URL for sessions_plus_store ({DEFAULT_URL})")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(url=None, **options): the store URL and open_store options of the "
        "sessions_plus_store fixture for this test",
    )


def isolated_url(url: str, token: str, tmp_path: Path) -> str:
    """``url`` turned into a namespace of its own, named by ``token`` (see the module doc)."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    if scheme == "sqlite":
        if parts.netloc == ":memory:":
            return url
        if not parts.netloc and parts.path in ("", "/"):
            path = (tmp_path / "sessions_plus.db").resolve().as_posix()  # absolute: sqlite:////
            return f"sqlite:///{path}" + (f"?{parts.query}" if parts.query else "")
        query["table_prefix"] = f"{query.get('table_prefix', 'sessions_plus')}_{token}"
    elif scheme in _REDIS_SCHEMES:
        query["key_prefix"] = f"{query.get('key_prefix', 'sessions_plus')}-{token}"
    else:
        return url
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


def _marker(request: pytest.FixtureRequest) -> tuple[str | None, dict[str, Any]]:
    marker = request.node.get_closest_marker(MARKER)
    if marker is None:
        return None, {}
    options = dict(marker.kwargs)
    url = options.pop("url", None)
    if marker.args:
        url = marker.args[0]
    return url, options


def _configured_url(request: pytest.FixtureRequest) -> str:
    url, _ = _marker(request)
    if url:
        return str(url)
    config = request.config
    return str(
        config.getoption("sessions_plus_url") or config.getini("sessions_plus_url") or DEFAULT_URL
    )


@pytest.fixture
def sessions_plus_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """This test's isolated store URL (marker, ``--sessions-plus-url``, ini, ``memory://``)."""
    return isolated_url(_configured_url(request), uuid.uuid4().hex[:12], tmp_path)


async def _session_ids(store: ConversationStore) -> set[str]:
    ids: set[str] = set()
    cursor: str | None = None
    while True:
        page = await store.list_sessions(limit=500, cursor=cursor)
        ids.update(info.session_id for info in page.sessions)
        cursor = page.next_cursor
        if cursor is None:
            return ids


async def _delete_new(store: ConversationStore, before: set[str]) -> None:
    for session_id in await _session_ids(store) - before:
        await store.delete(session_id)


@pytest.fixture
def sessions_plus_store(
    request: pytest.FixtureRequest, sessions_plus_url: str
) -> Iterator[ConversationStore]:
    """A fresh store for this test, closed (and its sessions removed) afterwards."""
    _, options = _marker(request)
    store = open_store(sessions_plus_url, **options)
    scheme = urlsplit(sessions_plus_url).scheme.lower()
    swept = scheme not in _SWEPT and not store.read_only
    before: set[str] = set()
    if swept and scheme not in _REDIS_SCHEMES:  # shared namespace: remember what was there
        before = run_in_fresh_loop(lambda: _session_ids(store))
    try:
        yield store
    finally:
        try:
            if swept and not store.closed:
                run_in_fresh_loop(lambda: _delete_new(store, before))
        finally:
            store.close()


@pytest.fixture
def strands_scripted_model() -> Callable[..., Any]:
    """``make(replies=("ok",))``: an offline Strands model replying from a script.

    Replies are text, message dicts, ``tool_call(...)``/``handoff(...)`` turns or functions of
    the history (see :class:`sessions_plus.testing.ScriptedModel`); ``model.seen`` records
    what the agent sent.
    """
    from .strands import ScriptedModel

    def make(replies: Sequence[Any] = ("ok",)) -> ScriptedModel:
        return ScriptedModel(replies)

    return make


@pytest.fixture
def openai_scripted_model() -> Callable[..., Any]:
    """``make(steps=("ok",))``: an offline ``agents.testing.ScriptedModel``.

    Each step is what ``agents.testing.ScriptedModel`` takes (a list of output items such as
    ``assistant_message(...)``/``function_call(...)``, a ``ModelStep``, an exception), or a
    plain string: one assistant message with that text.
    """
    try:
        from agents.testing import ScriptedModel, assistant_message
    except ImportError as exc:
        from ..errors import missing_dependency

        raise missing_dependency("openai_scripted_model", "openai-agents", exc) from exc

    def make(steps: Sequence[Any] = ("ok",)) -> Any:
        return ScriptedModel(
            [
                [assistant_message(step, item_id=f"msg_scripted_{i}")]
                if isinstance(step, str)
                else step
                for i, step in enumerate(steps)
            ]
        )

    return make
