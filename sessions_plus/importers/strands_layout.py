"""Strands' file/S3 session layout, shared by both sources (``strands/session/*``).

Under a storage root (a directory, or a bucket prefix)::

    session_<session_id>/session.json
    session_<session_id>/agents/agent_<agent_id>/agent.json
    session_<session_id>/agents/agent_<agent_id>/messages/message_<message_id>.json
    session_<session_id>/multi_agents/multi_agent_<id>/multi_agent.json

Each JSON file is the ``to_dict()`` of Strands' ``Session``, ``SessionAgent``,
``SessionMessage``, or a Swarm/Graph's ``serialize_state()``. They become the layout of
``sessions_plus.strands.repository``: documents ``session``, ``agent:<id>`` and
``multi_agent:<id>``, and per-agent streams ``agent:<id>`` of ``strands.message`` records whose
seq is the message id + 1 (ids are kept, so conversation managers' offsets stay right).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from .base import SourceRecord, SourceSession, SourceStream, parse_sql_time

SESSION_PREFIX = "session_"
AGENT_PREFIX = "agent_"
MESSAGE_PREFIX = "message_"
MULTI_AGENT_PREFIX = "multi_agent_"
MESSAGE_FORMAT = "strands.message"


@dataclass
class StrandsFiles:
    """The JSON documents of one Strands session, gathered from files or objects."""

    session_id: str
    session: Any = None
    agents: dict[str, Any] = field(default_factory=dict)
    messages: dict[str, dict[int, Any]] = field(default_factory=dict)
    multi_agents: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def add(self, relative: str, load: Any) -> None:
        """File ``relative`` (to the session folder) holds ``load()``'s JSON; sort it in."""
        parts = relative.split("/")
        if parts == ["session.json"]:
            self.session = load()
        elif len(parts) == 3 and parts[0] == "agents" and parts[2] == "agent.json":
            self.agents[_strip(parts[1], AGENT_PREFIX)] = load()
        elif (
            len(parts) == 4
            and parts[0] == "agents"
            and parts[2] == "messages"
            and parts[3].startswith(MESSAGE_PREFIX)
            and parts[3].endswith(".json")
            and parts[3][len(MESSAGE_PREFIX) : -5].isdigit()
        ):
            agent = _strip(parts[1], AGENT_PREFIX)
            self.messages.setdefault(agent, {})[int(parts[3][len(MESSAGE_PREFIX) : -5])] = load()
        elif len(parts) == 3 and parts[0] == "multi_agents" and parts[2] == "multi_agent.json":
            self.multi_agents[_strip(parts[1], MULTI_AGENT_PREFIX)] = load()
        else:
            self.notes.append(f"unknown file {relative!r}: not imported")

    def to_session(self) -> SourceSession | None:
        """The sessions-plus layout of these documents (None without a ``session.json``)."""
        if not isinstance(self.session, dict):
            return None
        now = time.time()
        created = parse_sql_time(self.session.get("created_at"), now)
        result = SourceSession(
            session_id=str(self.session.get("session_id", self.session_id)),
            created_at=created,
            updated_at=parse_sql_time(self.session.get("updated_at"), created),
            notes=list(self.notes),
        )
        result.docs["session"] = self.session
        for agent_id, agent in sorted(self.agents.items()):
            result.docs[f"agent:{agent_id}"] = agent
        for multi_id, state in sorted(self.multi_agents.items()):
            result.docs[f"multi_agent:{multi_id}"] = state
        for agent_id, messages in sorted(self.messages.items()):
            if agent_id not in self.agents:
                result.notes.append(f"messages of agent {agent_id!r} without its agent.json")
            stream = self._stream(agent_id, messages, result.notes, created)
            if stream is not None:
                result.streams[f"agent:{agent_id}"] = stream
        return result

    @staticmethod
    def _stream(
        agent_id: str, messages: dict[int, Any], notes: list[str], default_time: float
    ) -> SourceStream | None:
        ids = sorted(messages)
        if not ids:
            return None
        gaps = [i for i in range(ids[0], ids[-1] + 1) if i not in messages]
        if gaps:
            notes.append(
                f"agent {agent_id!r}: message ids {gaps[:5]} are missing; the messages after "
                "the first gap were renumbered to follow on"
            )
        records = []
        for message_id in ids:
            payload = dict(messages[message_id])
            payload.pop("message_id", None)
            at = parse_sql_time(payload.get("created_at"), default_time)
            records.append(SourceRecord(payload, at, format=MESSAGE_FORMAT, author=agent_id))
        return SourceStream(records, first=ids[0] + 1)


def _strip(name: str, prefix: str) -> str:
    return name[len(prefix) :] if name.startswith(prefix) else name
