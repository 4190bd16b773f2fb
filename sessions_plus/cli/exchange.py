"""Export a whole session as one JSON document, and import it into any store.

``export_session`` / ``import_session`` are the functions behind ``sessions-plus export`` and
``import``; they move a session between stores of any kind (SQLite to Redis, Redis to DynamoDB,
...) through a file or a pipe. ``migrate`` copies whole stores with ``snapshot``/``restore``.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import groupby
from typing import Any

from ..records import Record, SessionInfo
from ..store import ConversationStore
from .status import require

EXPORT_FORMAT = "sessions-plus/export-1"
"""Marks an ``export`` document; ``import`` refuses anything else."""


async def export_session(store: ConversationStore, session_id: str) -> dict[str, Any]:
    """One session (every stream and document) as a JSON-ready document for
    :func:`import_session`. Raises if the session does not exist."""
    info = await require(store, session_id)
    streams = {
        name: [record_json(r) for r in await store.read(session_id, stream=name)]
        for name in sorted(info.streams)
    }
    docs = {
        name: await store.get_doc(session_id, name) for name in await store.list_docs(session_id)
    }
    return {
        "format": EXPORT_FORMAT,
        "session": info_json(info),
        "streams": streams,
        "docs": docs,
    }


async def import_session(
    store: ConversationStore,
    document: Any,
    *,
    session_id: str | None = None,
    replace: bool = False,
) -> str:
    """Write an :func:`export_session` document into ``store``; returns the session id used.

    Records keep their order, data, format and author (the target store stamps new creation
    times and seqs 1..n). Refuses a target session that already exists unless ``replace``.
    Each stream is written in batches of consecutive records sharing format and author, each
    batch atomically with ``if_last_seq``, so a concurrent writer makes the import fail
    rather than interleave.
    """
    streams, docs, source_id = _check_export(document)
    target = source_id if session_id is None else session_id
    if await store.info(target) is not None:
        if not replace:
            raise ValueError(f"session {target!r} already exists (use --replace)")
        await store.delete(target)
    for name, records in streams.items():
        last = 0
        for (fmt, author), batch in _batches(records):
            items = [record["data"] for record in batch]
            seqs = await store.append(
                target, items, stream=name, format=fmt, author=author, if_last_seq=last
            )
            last = seqs[-1]
    for name, value in docs.items():
        await store.put_doc(target, name, value)
    return target


def _check_export(document: Any) -> tuple[dict[str, list[dict[str, Any]]], dict[str, Any], str]:
    if not isinstance(document, dict) or document.get("format") != EXPORT_FORMAT:
        raise ValueError(f"not a sessions-plus export (expected format {EXPORT_FORMAT!r})")
    session = document.get("session")
    streams = document.get("streams")
    docs = document.get("docs", {})
    if not isinstance(session, dict) or not isinstance(session.get("session_id"), str):
        raise ValueError("export has no session.session_id")
    if not isinstance(streams, dict) or not isinstance(docs, dict):
        raise ValueError("export streams and docs must be objects")
    for name, records in streams.items():
        if not isinstance(records, list) or not all(
            isinstance(r, dict) and "data" in r for r in records
        ):
            raise ValueError(f"stream {name!r}: records must be objects with 'data'")
    return streams, docs, session["session_id"]


def _batches(
    records: list[dict[str, Any]],
) -> Iterator[tuple[tuple[str | None, str | None], list[dict[str, Any]]]]:
    for key, group in groupby(records, key=lambda r: (r.get("format"), r.get("author"))):
        yield key, list(group)


_INFO_FIELDS = ("session_id", "created_at", "updated_at", "expires_at")
_RECORD_FIELDS = ("seq", "created_at", "format", "author", "data")


def info_json(info: SessionInfo) -> dict[str, Any]:
    """The JSON shape of a session's info (``list``, ``info``, exports)."""
    return {**{name: getattr(info, name) for name in _INFO_FIELDS}, "streams": dict(info.streams)}


def record_json(record: Record) -> dict[str, Any]:
    """The JSON shape of one record (``show``, ``tail``, exports)."""
    return {name: getattr(record, name) for name in _RECORD_FIELDS}
