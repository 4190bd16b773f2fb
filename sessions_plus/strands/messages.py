"""The store layout of the Strands adapter and the conversion of records to Strands messages.

One store session per Strands session: document ``session`` (the Strands ``Session``),
``agent:<agent_id>`` (each ``SessionAgent``), ``multi_agent:<id>`` (each Swarm/Graph state);
stream ``agent:<agent_id>`` (or the shared stream) of message records with
``format="strands.message"``. A message's id is its record's seq minus one.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ..conversation import STRANDS_MESSAGE, RenderedItem, has_tool_traffic, repair_items
from ..conversation.formats import get_format
from ..errors import missing_dependency
from ..records import Record

try:
    from strands.types.session import SessionMessage, decode_bytes_values
except ImportError as exc:  # pragma: no cover - exercised without the extra installed
    raise missing_dependency("sessions_plus.strands", "strands", exc) from exc

__all__ = [
    "SESSION_DOC",
    "agent_doc",
    "agent_stream",
    "message_payload",
    "multi_agent_doc",
    "now",
    "payload_to_message",
    "record_to_message",
    "rendered_to_message",
    "repair_messages",
]

SESSION_DOC = "session"


def agent_stream(agent_id: str) -> str:
    """Stream holding one agent's own messages."""
    return f"agent:{agent_id}"


def agent_doc(agent_id: str) -> str:
    """Document holding one agent's state."""
    return f"agent:{agent_id}"


def multi_agent_doc(multi_agent_id: str) -> str:
    """Document holding one Swarm's or Graph's state."""
    return f"multi_agent:{multi_agent_id}"


def now() -> str:
    """The current time as Strands stores it (ISO 8601, UTC)."""
    return datetime.now(UTC).isoformat()


def record_to_message(record: Record) -> SessionMessage:
    """Rebuild a ``SessionMessage`` from a record: its id is the record's seq minus one."""
    return payload_to_message(record.data, record.seq - 1)


def payload_to_message(data: Any, message_id: int) -> SessionMessage:
    """Rebuild the ``SessionMessage`` with id ``message_id`` from its record's payload.

    Built field by field: ``SessionMessage.from_dict`` inspects the class signature once per
    key, which dominated restoring long histories.
    """
    redact = data.get("redact_message")
    # Stored messages carry both timestamps: only make one (isoformat is costly) if missing.
    if "created_at" in data and "updated_at" in data:
        created_at, updated_at = data["created_at"], data["updated_at"]
    else:
        stamp = now()
        created_at = data.get("created_at", stamp)
        updated_at = data.get("updated_at", stamp)
    return SessionMessage(
        message=_restore_bytes(data["message"]),
        message_id=message_id,
        redact_message=None if redact is None else _restore_bytes(redact),
        created_at=created_at,
        updated_at=updated_at,
    )


def _restore_bytes(message: Any) -> Any:
    """``decode_bytes_values(message)`` for a freshly decoded message.

    Strands encodes bytes as ``{"__bytes_encoded__": true, "data": ...}`` dicts. A message whose
    values are strings or lists of dicts of strings (text blocks: the common shape) holds none,
    and decoding would only copy it, which was a third of a restore: return it as it is.
    """
    if type(message) is not dict:
        return decode_bytes_values(message)
    for value in message.values():
        if type(value) is list:
            for block in value:
                if type(block) is not dict:
                    return decode_bytes_values(message)
                for leaf in block.values():
                    if type(leaf) is not str:
                        return decode_bytes_values(message)
        elif type(value) is not str:
            return decode_bytes_values(message)
    return message


def rendered_to_message(rendered: RenderedItem) -> SessionMessage:
    """A ``SessionMessage`` for one rendered item of a shared conversation.

    Its id is the seq of the last record it holds minus one (a stored message keeps its own
    id), so the next message this agent appends gets a higher id.
    """
    message_id = max(rendered.seqs) - 1 if rendered.seqs else -1
    return payload_to_message(rendered.item, message_id)


def message_payload(session_message: SessionMessage) -> dict[str, Any]:
    """The JSON payload of a message record (bytes base64-encoded; the id lives in the seq)."""
    payload = session_message.to_dict()
    payload.pop("message_id", None)
    return payload


def repair_messages(
    session_id: str, messages: list[SessionMessage]
) -> tuple[list[SessionMessage], set[int]]:
    """``messages`` with orphaned tool calls and results repaired as a run start sees them
    (:mod:`sessions_plus.conversation.repair`), and the ids of the messages the repair made
    (they must never be written back). The same list and no ids when nothing needs repair."""
    target = get_format(STRANDS_MESSAGE)
    payloads = [
        {
            "message": m.message,
            "redact_message": m.redact_message,
            "created_at": m.created_at,
            "updated_at": m.updated_at,
        }
        for m in messages
    ]
    if not has_tool_traffic(target, payloads):
        return messages, set()
    items = [
        RenderedItem(payload, (m.message_id + 1,), True)
        for payload, m in zip(payloads, messages, strict=True)
    ]
    repaired = repair_items(items, target, run_start=True, session_id=session_id)
    if repaired is items:
        return messages, set()
    by_seq = {m.message_id + 1: m for m in messages}
    out: list[SessionMessage] = []
    converted: set[int] = set()
    for rendered in repaired:
        if rendered.native:
            out.append(by_seq[rendered.seqs[0]])
            continue
        out.append(rendered_to_message(rendered))
        if rendered.seqs:
            converted.add(max(rendered.seqs) - 1)
    return out, converted
