"""Token usage of ``AdvancedSession``: events appended to a stream, folded on read.

``store_run_usage`` appends one ``usage`` event for the branch's current turn, tied to that
turn's *anchor*: the identity (seq, write time, digest of the item) of the turn's first item.
Two more events void usage: ``popped`` (an item left the branch; usage anchored to it no
longer counts) and ``branch_deleted``. Folding keeps, per branch and turn, the latest usage
whose anchor is still alive, which is the SDK's ``INSERT OR REPLACE`` keyed on
``(branch, turn)`` with its "the turn must still exist" guard. Because voiding is by anchor, a
usage event that lands after the pop that removed its turn (a race between processes) stays
void, and a new turn that reuses the number (ABA) never inherits it.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..records import Record
from ._compat import log_model_action_warning

__all__ = [
    "USAGE_FORMAT",
    "Anchor",
    "Ledger",
    "branch_deleted_event",
    "popped_event",
    "usage_event",
]

USAGE_FORMAT = "sessions_plus.advanced.usage"
"""``format`` header of usage events."""

_TOTALS = ("requests", "input_tokens", "output_tokens", "total_tokens")


@dataclass(frozen=True, slots=True)
class Anchor:
    """The identity of one stored item: its seq, write time and a digest of its value."""

    seq: int
    created_at: float
    digest: str

    @classmethod
    def of(cls, seq: int, created_at: float, data: Any) -> Anchor:
        text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        digest = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=12)
        return cls(seq, float(created_at), digest.hexdigest())

    @classmethod
    def of_record(cls, record: Record) -> Anchor:
        return cls.of(record.seq, record.created_at, record.data)

    def to_json(self) -> list[Any]:
        return [self.seq, self.created_at, self.digest]

    @classmethod
    def from_json(cls, value: Any) -> Anchor | None:
        if (
            isinstance(value, list)
            and len(value) == 3
            and type(value[0]) is int
            and isinstance(value[1], int | float)
            and isinstance(value[2], str)
        ):
            return cls(value[0], float(value[1]), value[2])
        return None


def _details(value: Any, what: str, logger: logging.Logger) -> Any:
    """Token details as the SDK stores them: the model's ``__dict__`` as JSON, or None."""
    if not value:
        return None
    try:
        return json.loads(json.dumps(value.__dict__))
    except (TypeError, ValueError) as exc:
        log_model_action_warning(logger, f"Failed to serialize {what} token details", exc)
        return None


def usage_event(
    usage: Any, branch: str, turn: int, anchor: Anchor, logger: logging.Logger
) -> dict[str, Any]:
    """The event ``store_run_usage`` appends for ``usage`` (an ``agents.usage.Usage``)."""
    event: dict[str, Any] = {
        "kind": "usage",
        "branch": branch,
        "turn": turn,
        "anchor": anchor.to_json(),
    }
    for name in _TOTALS:
        event[name] = int(getattr(usage, name, 0) or 0)
    event["input_tokens_details"] = _details(
        getattr(usage, "input_tokens_details", None), "input", logger
    )
    event["output_tokens_details"] = _details(
        getattr(usage, "output_tokens_details", None), "output", logger
    )
    return event


def popped_event(anchor: Anchor) -> dict[str, Any]:
    """Voids usage anchored to an item that was popped."""
    return {"kind": "popped", "anchor": anchor.to_json()}


def branch_deleted_event(branch: str) -> dict[str, Any]:
    """Voids every usage of a deleted branch (branch ids are never reused)."""
    return {"kind": "branch_deleted", "branch": branch}


class Ledger:
    """The usage of one generation: the latest live event per (branch, turn)."""

    def __init__(self, events: Iterable[Any]) -> None:
        popped: set[Anchor] = set()
        deleted: set[str] = set()
        usages: list[tuple[str, int, Anchor, dict[str, Any]]] = []
        for event in events:
            if not isinstance(event, dict):
                continue
            kind = event.get("kind")
            anchor = Anchor.from_json(event.get("anchor"))
            if kind == "popped" and anchor is not None:
                popped.add(anchor)
            elif kind == "branch_deleted" and isinstance(event.get("branch"), str):
                deleted.add(event["branch"])
            elif kind == "usage" and anchor is not None:
                branch, turn = event.get("branch"), event.get("turn")
                if isinstance(branch, str) and type(turn) is int:
                    usages.append((branch, turn, anchor, event))
        # Voiding is by identity, whatever the order the events arrived in.
        latest: dict[tuple[str, int], dict[str, Any]] = {}
        for branch, turn, anchor, event in usages:
            if anchor not in popped and branch not in deleted:
                latest[(branch, turn)] = event
        self._rows = sorted(
            ((branch, turn, event) for (branch, turn), event in latest.items()),
            key=lambda row: (row[1], row[0]),
        )

    def rows(self, branch: str | None = None) -> list[tuple[str, int, dict[str, Any]]]:
        """``(branch, turn, event)`` by turn; only ``branch``'s if given."""
        return [row for row in self._rows if branch is None or row[0] == branch]

    def totals(self, branch: str | None = None) -> dict[str, int] | None:
        """``get_session_usage``'s dict, or None if there is no usage."""
        rows = self.rows(branch)
        if not rows:
            return None
        totals = {name: sum(int(event.get(name, 0)) for _, _, event in rows) for name in _TOTALS}
        totals["total_turns"] = len(rows)
        return totals

    def turn(self, branch: str, turn: int) -> dict[str, Any]:
        """``get_turn_usage(turn)``'s dict: ``{}`` if the turn has no usage."""
        for row_branch, row_turn, event in self._rows:
            if row_branch == branch and row_turn == turn:
                return _shape(event)
        return {}

    def turns(self, branch: str) -> list[dict[str, Any]]:
        """``get_turn_usage()``'s list, by turn."""
        return [{"user_turn_number": turn, **_shape(event)} for _, turn, event in self.rows(branch)]


def _shape(event: dict[str, Any]) -> dict[str, Any]:
    shaped: dict[str, Any] = {name: event.get(name, 0) for name in _TOTALS}
    shaped["input_tokens_details"] = event.get("input_tokens_details")
    shaped["output_tokens_details"] = event.get("output_tokens_details")
    return shaped
