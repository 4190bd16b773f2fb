"""The session row: how a session's per-stream counters are kept, and its SessionInfo."""

from __future__ import annotations

import json

from ...records import SessionInfo

_STREAMS_ENCODER = json.JSONEncoder(ensure_ascii=False)
"""Encodes a session's ``{stream: last_seq}`` (made once: json.dumps with options makes one
encoder per call)."""


def encode_streams(streams: dict[str, int]) -> str:
    """The ``streams`` column of a session row (streams without records are left out)."""
    return _STREAMS_ENCODER.encode({k: v for k, v in streams.items() if v})


def decode_streams(text: str) -> dict[str, int]:
    """The ``{stream: last_seq}`` of a session row's ``streams`` column."""
    streams: dict[str, int] = json.loads(text)
    return streams


def session_info(
    session_id: str, created_at: float, updated_at: float, expires_at: float | None, streams: str
) -> SessionInfo:
    """The :class:`SessionInfo` of a session row."""
    return SessionInfo(session_id, created_at, updated_at, expires_at, decode_streams(streams))
