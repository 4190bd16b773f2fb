"""What rendering gives: one item of the target format and the records it came from."""

from __future__ import annotations

from typing import Any, NamedTuple


class RenderedItem(NamedTuple):
    """One item of the target format and the seqs of the records it came from.

    ``native`` means ``item`` is exactly one stored record's data (the target's own format);
    ``seqs`` is empty for items no record holds: the ``[conversation start]`` turn and the
    synthetic result of an interrupted tool call. (A named tuple: rendering makes one per item
    on every read.)
    """

    item: Any
    seqs: tuple[int, ...]
    native: bool = False
