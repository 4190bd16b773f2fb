"""Items <-> bytes: strict JSON with size and depth checks.

Every accepted item reads back equal (``==``) to what was written: values that JSON would change or
cannot hold (NaN and infinities, bytes, sets, arbitrary objects, cycles, non-``str`` dict keys) are
rejected with :class:`InvalidItemError` before anything is written. Tuples are accepted and read
back as lists. Nothing is ever pickled.
"""

from __future__ import annotations

import json
import math
from typing import Any

from .errors import InvalidItemError, RecordTooLargeError

DEFAULT_MAX_RECORD_BYTES = 8 * 1024 * 1024
"""Default largest encoded record: 8 MiB."""

DEFAULT_MAX_DEPTH = 100
"""Default deepest nesting of lists and dicts in one item."""

_SCALARS = (str, int, type(None))


class JsonCodec:
    """Strict JSON codec used by every store.

    ``max_record_bytes`` bounds one encoded record; ``max_depth`` bounds nesting.
    """

    def __init__(
        self,
        *,
        max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES,
        max_depth: int = DEFAULT_MAX_DEPTH,
    ) -> None:
        if max_record_bytes <= 0 or max_depth <= 0:
            raise ValueError("max_record_bytes and max_depth must be positive")
        self.max_record_bytes = max_record_bytes
        self.max_depth = max_depth

    def encode(self, item: Any) -> bytes:
        """Validate ``item`` and return its compact UTF-8 JSON encoding."""
        _validate(item, self.max_depth)
        data = json.dumps(item, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()
        if len(data) > self.max_record_bytes:
            raise RecordTooLargeError(
                f"record is {len(data)} bytes encoded; the limit is {self.max_record_bytes}",
                size=len(data),
                limit=self.max_record_bytes,
            )
        return data

    def decode(self, data: bytes | str) -> Any:
        """Parse stored bytes; raises ValueError (UnicodeDecodeError/JSONDecodeError) if corrupt."""
        return json.loads(data)


def _validate(item: Any, max_depth: int) -> None:
    """Walk ``item`` once, rejecting anything JSON would not round-trip."""
    # Iterative walk: (value, depth). ``active`` holds ids of containers on the current path
    # is unnecessary because the depth bound also ends cycles; report them clearly anyway.
    stack: list[tuple[Any, int, str]] = [(item, 1, "$")]
    seen: set[int] = set()
    while stack:
        value, depth, path = stack.pop()
        if isinstance(value, _SCALARS):  # bool is an int
            continue
        if isinstance(value, float):
            if not math.isfinite(value):
                raise InvalidItemError(f"{path}: {value!r} is not valid JSON")
            continue
        if isinstance(value, dict | list | tuple):
            if depth > max_depth:
                ident = id(value)
                if ident in seen:
                    raise InvalidItemError(f"{path}: circular reference")
                raise InvalidItemError(f"{path}: nested deeper than {max_depth} levels")
            seen.add(id(value))
            if isinstance(value, dict):
                for key, child in value.items():
                    if not isinstance(key, str):
                        raise InvalidItemError(
                            f"{path}: dict key {key!r} is {type(key).__name__}, not str"
                        )
                    stack.append((child, depth + 1, f"{path}.{key}"))
            else:
                for index, child in enumerate(value):
                    stack.append((child, depth + 1, f"{path}[{index}]"))
            continue
        raise InvalidItemError(f"{path}: {type(value).__name__} is not JSON-representable")
