"""Bring history over from the SDKs' own stores (``sessions-plus import-from``).

Sources (:func:`open_source`): ``agents-sqlite:///PATH.db``, ``agents-redis://HOST:PORT/DB``,
``strands-file:///DIR``, ``strands-s3://BUCKET/PREFIX``. Each is read with the SDK's real
layout, without importing the SDK, and never written.
"""

from __future__ import annotations

from .agents_redis import AgentsRedisSource
from .agents_sqlite import AgentsSQLiteSource
from .base import ImportSource, ImportSourceError, SourceRecord, SourceSession, SourceStream
from .run import ImportReport, ImportResult, import_one, import_sessions, to_snapshot
from .sources import SCHEMES, open_source
from .strands_file import StrandsFileSource
from .strands_s3 import StrandsS3Source

__all__ = [
    "SCHEMES",
    "AgentsRedisSource",
    "AgentsSQLiteSource",
    "ImportReport",
    "ImportResult",
    "ImportSource",
    "ImportSourceError",
    "SourceRecord",
    "SourceSession",
    "SourceStream",
    "StrandsFileSource",
    "StrandsS3Source",
    "import_one",
    "import_sessions",
    "open_source",
    "to_snapshot",
]
