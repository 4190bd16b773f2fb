"""What a format module provides: the :class:`Format` record every converter fills in."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

from ...errors import ConversionError
from ..model import Message, Role, ToolCallPart


class ToNeutral(Protocol):
    """Convert one stored item of a format into a neutral message (raise ConversionError)."""

    def __call__(
        self,
        data: Any,
        *,
        seq: int | None = None,
        author: str | None = None,
        created_at: float | None = None,
    ) -> Message: ...


class Traffic(NamedTuple):
    """What one item holds of tool traffic, for pairing calls with their results.

    ``calls`` are ``(call_id, tool_name)`` pairs, ``results`` the call ids answered; ``turn``
    is True for a new user turn (a user message holding something besides tool results).
    """

    calls: tuple[tuple[str, str], ...] = ()
    results: tuple[str, ...] = ()
    turn: bool = False


NO_TRAFFIC = Traffic()
USER_TURN = Traffic(turn=True)


def _no_traffic(item: Any) -> Traffic:
    return NO_TRAFFIC


def _no_handoff(call: ToolCallPart) -> str | None:
    return None


def _any_call(call: ToolCallPart) -> bool:
    return True


def _no_time(item: Any) -> float | None:
    return None


def _same(item: Any) -> Any:
    return item


def _any_item(item: Any) -> bool:
    return True


@dataclass(frozen=True, slots=True)
class Format:
    """One stored item shape (the record ``format`` header) and its pair of converters.

    * ``to_neutral(data, seq=, author=, created_at=)``: one record's data to a
      :class:`~sessions_plus.conversation.model.Message`; raises :class:`ConversionError` for
      data that does not match the format. Anything of the format it does not understand
      becomes an :class:`OpaquePart`, never an error.
    * ``from_neutral(message)``: a message to zero or more items of this format. For a message
      converted from this same format it returns exactly the original item (equal JSON value);
      for others it writes what this format can express and text notes for the rest, never
      raising for a valid message.
    * ``role_of(item)``: an item's role (None when unknown), cheap.
    * ``merge(a, b)``: for formats whose roles must alternate (first turn ``user``), the item
      holding two consecutive same-role items; None for formats that take any order.
    * ``handoff_target(call)``: the agent a tool call of this format hands off to, if it is a
      handoff (OpenAI ``transfer_to_<agent>``, Strands ``handoff_to_agent``).
    * ``native_call_ok(call)``: whether a foreign tool call can be written natively here.
    * ``export(item)``: the item as handed out by ``export_conversation``.
    * ``accepts(item)``: a cheap check that a stored item of this format has its shape, so a
      broken one is never passed to an SDK as it is (own records are not converted).
    * ``traffic(item)``: the tool calls and results an item holds and whether it starts a user
      turn (:class:`Traffic`), cheap: how orphaned calls and results are found on read.
    * ``time_of(item)``: when an item says it was written (Unix seconds), if its shape holds
      a time: synthetic items rendering adds next to it are dated alike, so the same records
      always render the same items.
    * ``alias``: the short name ``export_conversation(as_=...)`` accepts.
    """

    name: str
    alias: str
    to_neutral: ToNeutral
    from_neutral: Callable[[Message], list[Any]]
    role_of: Callable[[Any], Role | None]
    merge: Callable[[Any, Any], Any] | None = None
    handoff_target: Callable[[ToolCallPart], str | None] = _no_handoff
    native_call_ok: Callable[[ToolCallPart], bool] = _any_call
    export: Callable[[Any], Any] = _same
    accepts: Callable[[Any], bool] = _any_item
    traffic: Callable[[Any], Traffic] = _no_traffic
    time_of: Callable[[Any], float | None] = _no_time

    @property
    def alternating(self) -> bool:
        """True if roles must alternate, starting with the user."""
        return self.merge is not None


def invalid(format: str, reason: str) -> ConversionError:
    """The error a ``to_neutral`` raises for data that does not match its format."""
    return ConversionError(f"not a valid {format} item: {reason}", format=format)


def rest(mapping: dict[str, Any], *taken: str) -> dict[str, Any]:
    """The entries of ``mapping`` other than ``taken`` (the format's own leftover fields)."""
    return {key: value for key, value in mapping.items() if key not in taken}
