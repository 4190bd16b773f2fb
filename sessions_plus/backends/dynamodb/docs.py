"""Documents: one item per document (``D#<sid>#<name>``), named in the meta item.

The meta item records each document's write id, so a reader fetches meta and document in one
BatchGetItem and knows whether the document item it got is the current one.
"""

from __future__ import annotations

import asyncio
import time

from ...backend import DocWrite
from ...errors import CorruptRecordError
from .chunks import read_chunks
from .engine import Busy, Done, Plan, WriteEngine
from .incarnations import expiration
from .items import chunk_keys, pack, unpack
from .keys import Item, doc_pk, key, meta_pk, new_token
from .logs import uploads
from .meta import TTL_ATTRIBUTE, DocState, Meta


class DocStore:
    """The document operations of one store."""

    def __init__(self, engine: WriteEngine) -> None:
        self.engine = engine
        self.table = engine.table

    async def write(self, write: DocWrite) -> bool:
        session_id, name = write.session_id, write.name
        packed = pack(write.payload)
        write_id = new_token()

        async def build(meta: Meta | None, now: float) -> Plan | Done:
            present = meta is not None and meta.live(now) and name in meta.docs
            if (write.if_absent and present) or (write.if_exists and not present):
                return Done(False)
            base, refresh = self.engine.begin(session_id, meta, now)
            if base.locked_by_other(None, now):
                raise Busy
            item: Item = {
                "pk": {"S": doc_pk(session_id, name)},
                "sk": {"N": "0"},
                "inc": {"S": base.incarnation},
                "w": {"S": write_id},
                "ts": {"N": repr(now)},
                **packed.attrs,
            }
            expires = expiration(base)
            if expires is not None:
                item[TTL_ATTRIBUTE] = {"N": str(expires)}
            old = base.docs.get(name)
            docs = {**base.docs, name: DocState(write_id, len(packed.chunks))}
            return Plan(
                meta=base.evolve(docs=docs),
                result=True,
                actions=[{"Put": {"Item": item}}],
                uploads=uploads([packed], [write_id]),
                cleanup=[] if old is None else chunk_keys(session_id, old.write_id, old.chunks),
                refresh=refresh,
            )

        return bool(await self.engine.mutate(session_id, build))

    async def read(self, session_id: str, name: str) -> bytes | None:
        for _ in range(3):
            keys = [key(meta_pk(session_id)), key(doc_pk(session_id, name))]
            found = {item["pk"]["S"]: item for item in await self.table.batch_get(keys)}
            meta_item = found.get(meta_pk(session_id))
            if meta_item is None:
                return None
            meta = Meta.from_item(meta_item)
            self.engine.remember(session_id, meta)
            doc = meta.docs.get(name)
            if not meta.live(time.time()) or doc is None:
                return None
            item = found.get(doc_pk(session_id, name))
            if doc.detached:  # written ahead by a restore: all in chunk items
                item = {"w": {"S": doc.write_id}, "bn": {"N": str(doc.chunks)}, "z": {"N": "1"}}
            if item is not None and item["w"]["S"] == doc.write_id:
                chunks = None
                if doc.chunks:
                    chunks = await read_chunks(self.table, session_id, doc.write_id, doc.chunks)
                try:
                    return unpack(item, chunks)
                except ValueError:
                    return b""
            await asyncio.sleep(0.01)  # the document's transaction is still becoming visible
        raise CorruptRecordError(
            f"session {session_id!r}: document {name!r} is missing behind the meta item",
            session_id=session_id,
            stream=f"doc:{name}",
        )

    async def remove(self, session_id: str, name: str) -> bool:
        async def build(meta: Meta | None, now: float) -> Plan | Done:
            if meta is None or not meta.live(now) or name not in meta.docs:
                return Done(False)
            if meta.locked_by_other(None, now):
                raise Busy
            base, refresh = self.engine.begin(session_id, meta, now)
            old = base.docs[name]
            docs = {k: v for k, v in base.docs.items() if k != name}
            return Plan(
                meta=base.evolve(docs=docs),
                result=True,
                actions=[{"Delete": {"Key": key(doc_pk(session_id, name))}}],
                cleanup=chunk_keys(session_id, old.write_id, old.chunks),
                refresh=refresh,
            )

        return bool(await self.engine.mutate(session_id, build))
