"""Payload <-> DynamoDB attributes: inline JSON text, zlib-compressed binary, or chunk items.

DynamoDB items are limited to 400 KB. A payload that fits is stored inline, as a String (the
JSON text itself, readable in the console) when it is UTF-8, else as Binary. A larger payload is
compressed with zlib; if it still does not fit it is split into chunk items (``B#`` partitions,
written before the transaction that references them) and read back intact.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Any

from ...records import RawRecord
from .keys import Item, blob_pk, parse_number, split_sort_key
from .meta import TTL_ATTRIBUTE

INLINE_LIMIT = 350_000
"""Largest payload stored inside its item (bytes), leaving room for keys and attributes."""

CHUNK_BYTES = 350_000
"""Size of one chunk item's payload."""

ITEM_OVERHEAD = 3_000
"""Bytes counted per item beyond its payload when sizing transactions (keys up to 2 KB)."""


@dataclass(frozen=True)
class Packed:
    """A payload ready to store: attributes for its item plus chunks to write beforehand."""

    attrs: Item
    chunks: list[bytes]

    @property
    def item_bytes(self) -> int:
        value = self.attrs.get("p")
        size = 0
        if value is not None:
            size = len(value["S"].encode()) if "S" in value else len(value["B"])
        return size + ITEM_OVERHEAD


def pack(payload: bytes) -> Packed:
    """Choose inline text, inline binary, compressed, or chunked storage for ``payload``."""
    if len(payload) <= INLINE_LIMIT:
        try:
            return Packed({"p": {"S": payload.decode("utf-8")}}, [])
        except UnicodeDecodeError:
            return Packed({"p": {"B": payload}}, [])
    compressed = zlib.compress(payload, 6)
    if len(compressed) <= INLINE_LIMIT:
        return Packed({"p": {"B": compressed}, "z": {"N": "1"}}, [])
    chunks = [compressed[i : i + CHUNK_BYTES] for i in range(0, len(compressed), CHUNK_BYTES)]
    return Packed({"z": {"N": "1"}, "bn": {"N": str(len(chunks))}}, chunks)


def chunk_count(item: Item) -> int:
    return parse_number(item["bn"]["N"]) if "bn" in item else 0


def unpack(item: Item, chunks: list[bytes] | None = None) -> bytes:
    """The payload of an item (``chunks``: its chunk payloads in order, if it has any)."""
    if "bn" in item:
        data = b"".join(chunks or [])
    else:
        value = item["p"]
        data = value["S"].encode() if "S" in value else bytes(value["B"])
    if "z" in item:
        try:
            data = zlib.decompress(data)
        except zlib.error as exc:
            raise ValueError(f"stored payload does not decompress: {exc}") from None
    return data


def chunk_items(
    session_id: str, write_id: str, chunks: list[bytes], expiration: int | None
) -> list[Item]:
    """The chunk items of one payload."""
    pk = blob_pk(session_id, write_id)
    items: list[Item] = []
    for index, chunk in enumerate(chunks):
        item: Item = {"pk": {"S": pk}, "sk": {"N": str(index)}, "p": {"B": chunk}}
        if expiration is not None:
            item[TTL_ATTRIBUTE] = {"N": str(expiration)}
        items.append(item)
    return items


def chunk_keys(session_id: str, write_id: str, count: int) -> list[Item]:
    pk = blob_pk(session_id, write_id)
    return [{"pk": {"S": pk}, "sk": {"N": str(index)}} for index in range(count)]


def record_item(
    pk: str,
    sk: int,
    *,
    incarnation: str,
    write_id: str,
    created_at: float,
    session_expires: float | None,
    expiration: int | None,
    format: str | None = None,
    author: str | None = None,
    packed: Packed | None = None,
    first: int = 1,
    pending: str | None = None,
) -> Item:
    """A record item, or a generation marker / tombstone when ``packed`` is None.

    ``first`` is the stream's first seq as of this write (``fs``, stored once it is not 1):
    on the top item of a partition it tells a latest-N read where the stream starts.
    ``pending`` (``pd``) marks an item written ahead of the transaction that makes it part
    of the session: a read that finds it on top asks the meta item.
    """
    item: Item = {
        "pk": {"S": pk},
        "sk": {"N": str(sk)},
        "inc": {"S": incarnation},
        "w": {"S": write_id},
        "ts": {"N": repr(created_at)},
    }
    if session_expires is not None:
        item["x"] = {"N": repr(session_expires)}
    if expiration is not None:
        item[TTL_ATTRIBUTE] = {"N": str(expiration)}
    if format is not None:
        item["f"] = {"S": format}
    if author is not None:
        item["a"] = {"S": author}
    if first != 1:
        item["fs"] = {"N": str(first)}
    if pending is not None:
        item["pd"] = {"S": pending}
    if packed is None:
        item["m"] = {"N": "1"}
    else:
        item.update(packed.attrs)
    return item


def stream_first(item: Item) -> int:
    """The stream's first seq as the (top) record item says (``fs``; 1 if absent)."""
    return parse_number(item["fs"]["N"]) if "fs" in item else 1


def raw_record(item: Item, payload: bytes) -> RawRecord:
    _, seq = split_sort_key(parse_number(item["sk"]["N"]))
    return RawRecord(
        seq=seq,
        payload=payload,
        created_at=float(item["ts"]["N"]),
        format=item["f"]["S"] if "f" in item else None,
        author=item["a"]["S"] if "a" in item else None,
    )


def is_marker(item: Item) -> bool:
    return "m" in item


def item_seq(item: Item) -> tuple[int, int]:
    """``(gen, seq)`` of a record item."""
    return split_sort_key(parse_number(item["sk"]["N"]))


def session_expires(item: Item) -> float | None:
    value: Any = item.get("x")
    return None if value is None else float(value["N"])


def projection(*attributes: str) -> dict[str, Any]:
    """Query parameters that return only ``attributes`` (as placeholders: some, like ``ts``,
    are DynamoDB reserved words)."""
    return {
        "ProjectionExpression": ", ".join(f"#{name}" for name in attributes),
        "ExpressionAttributeNames": {f"#{name}": name for name in attributes},
    }


KEYS_PROJECTION = projection("pk", "sk", "bn", "w")
"""Keys plus what locates a record's chunk items: for deletes and TTL updates."""
