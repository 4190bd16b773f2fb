"""``sessions-plus``: look into, export, import and clean up any store from a shell.

Every command takes a store URL (the forms :func:`open_store` accepts) and prints JSON: one
object per line for lists, one document for ``info`` and ``export``. ``export`` and ``import``
move a session between stores of any kind (SQLite to Redis, Redis to DynamoDB, ...).
Exit status: 0 done, 1 failed (a message on stderr), 2 bad usage, 3 no such session.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from itertools import groupby
from typing import IO, Any

from .errors import SessionsPlusError
from .records import Record, SessionInfo
from .registry import open_store
from .store import DEFAULT_STREAM, ConversationStore

EXPORT_FORMAT = "sessions-plus/export-1"
"""Marks an ``export`` document; ``import`` refuses anything else."""

EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_NOT_FOUND = 3


class _NotFound(Exception):
    """The session asked for does not exist (or expired)."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        return asyncio.run(_run(args))
    except _NotFound as exc:
        print(f"sessions-plus: {exc}", file=sys.stderr)
        return EXIT_NOT_FOUND
    except (SessionsPlusError, ValueError, OSError) as exc:
        print(f"sessions-plus: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_FAILED


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sessions-plus",
        description="Inspect, export, import and clean up sessions-plus stores.",
        epilog="URL examples: sqlite:///chat.db, redis://localhost:6379/0, "
        "redis+cluster://host:7000, dynamodb://TABLE?region=us-east-1",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    listing = commands.add_parser("list", help="live sessions, one JSON object per line")
    listing.add_argument("url")
    listing.add_argument("--limit", type=_positive, default=None, help="at most this many")

    info = commands.add_parser("info", help="a session's metadata and document names")
    info.add_argument("url")
    info.add_argument("session_id")

    show = commands.add_parser("show", help="a stream's records, one JSON object per line")
    show.add_argument("url")
    show.add_argument("session_id")
    show.add_argument("--stream", default=DEFAULT_STREAM)
    show.add_argument("--limit", type=_positive, default=None, help="only the latest N")

    export = commands.add_parser("export", help="a whole session as one JSON document")
    export.add_argument("url")
    export.add_argument("session_id")
    export.add_argument("--output", "-o", default="-", help="file to write (default: stdout)")

    importing = commands.add_parser("import", help="write an exported session into a store")
    importing.add_argument("url")
    importing.add_argument("file", help="an export document ('-': stdin)")
    importing.add_argument("--session-id", default=None, help="import under another id")
    importing.add_argument(
        "--replace", action="store_true", help="delete the target session first if it exists"
    )

    delete = commands.add_parser("delete", help="remove a whole session")
    delete.add_argument("url")
    delete.add_argument("session_id")

    purge = commands.add_parser("purge", help="remove expired sessions' data now")
    purge.add_argument("url")
    return parser


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be a positive integer")
    return value


async def _run(args: argparse.Namespace) -> int:
    async with open_store(args.url) as store:
        command = args.command
        if command == "list":
            for session in await _sessions(store, args.limit):
                _print(_info_json(session))
        elif command == "info":
            _print(await _info_with_docs(store, args.session_id), indent=2)
        elif command == "show":
            await _require(store, args.session_id)
            for record in await store.read(args.session_id, stream=args.stream, limit=args.limit):
                _print(_record_json(record))
        elif command == "export":
            document = await export_session(store, args.session_id)
            with _open_output(args.output) as out:
                json.dump(document, out, ensure_ascii=False, indent=1)
                out.write("\n")
        elif command == "import":
            with _open_input(args.file) as source:
                document = json.load(source)
            session_id = await import_session(
                store, document, session_id=args.session_id, replace=args.replace
            )
            _print({"imported": session_id})
        elif command == "delete":
            if not await store.delete(args.session_id):
                raise _NotFound(f"no session {args.session_id!r}")
            _print({"deleted": args.session_id})
        else:  # purge
            _print({"purged": await store.purge_expired()})
    return 0


# ---------------------------------------------------------------------------- export / import


async def export_session(store: ConversationStore, session_id: str) -> dict[str, Any]:
    """One session (every stream and document) as a JSON-ready document for
    :func:`import_session`. Raises if the session does not exist."""
    info = await _require(store, session_id)
    streams = {
        name: [_record_json(r) for r in await store.read(session_id, stream=name)]
        for name in sorted(info.streams)
    }
    docs = {
        name: await store.get_doc(session_id, name) for name in await store.list_docs(session_id)
    }
    return {
        "format": EXPORT_FORMAT,
        "session": _info_json(info),
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


# ---------------------------------------------------------------------------- helpers


async def _require(store: ConversationStore, session_id: str) -> SessionInfo:
    info = await store.info(session_id)
    if info is None:
        raise _NotFound(f"no session {session_id!r}")
    return info


async def _sessions(store: ConversationStore, limit: int | None) -> list[SessionInfo]:
    found: list[SessionInfo] = []
    cursor: str | None = None
    while limit is None or len(found) < limit:
        page = await store.list_sessions(limit=100, cursor=cursor)
        found.extend(page.sessions)
        cursor = page.next_cursor
        if cursor is None:
            break
    return found if limit is None else found[:limit]


async def _info_with_docs(store: ConversationStore, session_id: str) -> dict[str, Any]:
    info = await _require(store, session_id)
    return {**_info_json(info), "docs": await store.list_docs(session_id)}


_INFO_FIELDS = ("session_id", "created_at", "updated_at", "expires_at")
_RECORD_FIELDS = ("seq", "created_at", "format", "author", "data")


def _info_json(info: SessionInfo) -> dict[str, Any]:
    return {**_fields(info, _INFO_FIELDS), "streams": dict(info.streams)}


def _record_json(record: Record) -> dict[str, Any]:
    return _fields(record, _RECORD_FIELDS)


def _fields(value: object, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: getattr(value, name) for name in names}


def _print(value: Any, *, indent: int | None = None) -> None:
    print(json.dumps(value, ensure_ascii=False, indent=indent))


def _open_output(path: str) -> AbstractContextManager[IO[str]]:
    return nullcontext(sys.stdout) if path == "-" else open(path, "w", encoding="utf-8")


def _open_input(path: str) -> AbstractContextManager[IO[str]]:
    return nullcontext(sys.stdin) if path == "-" else open(path, encoding="utf-8")


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
