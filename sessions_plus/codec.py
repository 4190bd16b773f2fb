"""Items <-> bytes: strict JSON with size and depth checks.

Every accepted item reads back equal (``==``) to what was written: values that JSON would change or
cannot hold (NaN and infinities, bytes, sets, arbitrary objects, cycles, non-``str`` dict keys) are
rejected with :class:`InvalidItemError` before anything is written, as are ints longer than
Python's int/str conversion limit (4,300 digits by default). Tuples are accepted and read back as
lists. Strings holding lone surrogates are stored with JSON ``\\u`` escapes and read back equal;
a high surrogate directly followed by a low one is rejected (JSON would read back one character).
Nothing is ever pickled.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from .errors import InvalidItemError, RecordTooLargeError

DEFAULT_MAX_RECORD_BYTES = 8 * 1024 * 1024
"""Default largest encoded record: 8 MiB."""

DEFAULT_MAX_DEPTH = 100
"""Default deepest nesting of lists and dicts in one item."""

_SCALARS = (str, int, type(None))
_SURROGATE_PAIR = re.compile("[\ud800-\udbff][\udc00-\udfff]")
_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode
"""One encoder for every call: ``json.dumps`` with options builds a new one each time."""
_SCAN_ONCE = json.JSONDecoder().scan_once  # type: ignore[attr-defined]
"""json's value scanner (the C one when available), as json.loads uses it."""


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
        try:
            plain = _plain(item, 1, self.max_depth)
        except RecursionError:  # a max_depth beyond the interpreter's stack: walk iteratively
            plain = False
        if not plain:
            _validate(item, self.max_depth)  # raises, naming what is wrong, or accepts
        try:
            text = _ENCODE(item)
        except ValueError as exc:  # an int longer than sys.get_int_max_str_digits()
            raise InvalidItemError(f"$: {exc}") from None
        except RecursionError:  # only with a max_depth past what json's encoder can nest
            raise InvalidItemError("$: nested too deep for the JSON encoder") from None
        try:
            data = text.encode()
        except UnicodeEncodeError:
            # A lone surrogate is not UTF-8 text; \uXXXX escapes keep it and read back equal.
            # A high surrogate followed by a low one would read back as one joined character.
            if _SURROGATE_PAIR.search(text):
                raise InvalidItemError(
                    "$: a str holds a surrogate pair, which JSON reads back as one character"
                ) from None
            data = json.dumps(item, separators=(",", ":"), allow_nan=False).encode()
        if len(data) > self.max_record_bytes:
            raise RecordTooLargeError(
                f"record is {len(data)} bytes encoded; the limit is {self.max_record_bytes}",
                size=len(data),
                limit=self.max_record_bytes,
            )
        return data

    def decode(self, data: bytes | str) -> Any:
        """Parse stored bytes; raises ValueError (UnicodeDecodeError/JSONDecodeError) if corrupt."""
        # Decoding UTF-8 first skips json's encoding detection for bytes: ~25% faster per record.
        text = data.decode() if isinstance(data, bytes) else data
        # json's own scanner on a whole value skips json.loads' Python layers (about half its
        # cost per record); anything else (whitespace, trailing data, errors) json.loads decides.
        try:
            value, end = _SCAN_ONCE(text, 0)
        except StopIteration:
            return json.loads(text)
        if end != len(text):
            return json.loads(text)
        return value


MAX_PATH_CHARS = 80
"""Longest item path quoted in an :class:`InvalidItemError` message."""

# A path is built only for the error message: a linked list of (parent, key, container).
_Path = tuple["_Path | None", "str | int", Any]


def _plain(value: Any, depth: int, max_depth: int) -> bool:
    """Fast check that ``value`` holds only exact JSON types (str keys, finite floats) within
    ``max_depth``. False means "look closer": :func:`_validate` decides (and names the error).
    """
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return True
    if kind is float:
        return bool(value - value == 0.0)  # False for NaN and infinities
    if depth > max_depth:
        return False
    if kind is dict:
        for key, child in value.items():
            if type(key) is not str or (
                type(child) is not str and not _plain(child, depth + 1, max_depth)
            ):
                return False
        return True
    if kind is list or kind is tuple:
        for child in value:
            if type(child) is not str and not _plain(child, depth + 1, max_depth):
                return False
        return True
    return False


def _validate(item: Any, max_depth: int) -> None:
    """Walk ``item`` once (iteratively), rejecting anything JSON would not round-trip.

    A cycle always ends at the depth bound; it is then told apart from deep nesting by
    checking whether the container is one of its own ancestors.
    """
    stack: list[tuple[Any, int, _Path | None]] = [(item, 1, None)]
    while stack:
        value, depth, path = stack.pop()
        if isinstance(value, _SCALARS):  # bool is an int
            continue
        if isinstance(value, float):
            if not math.isfinite(value):
                raise InvalidItemError(f"{_format_path(path)}: {value!r} is not valid JSON")
            continue
        if isinstance(value, dict | list | tuple):
            if depth > max_depth:
                if _is_ancestor(value, path):
                    raise InvalidItemError(f"{_format_path(path)}: circular reference")
                raise InvalidItemError(
                    f"{_format_path(path)}: nested deeper than {max_depth} levels"
                )
            if isinstance(value, dict):
                for key, child in value.items():
                    if not isinstance(key, str):
                        raise InvalidItemError(
                            f"{_format_path(path)}: dict key {_short(repr(key))} is "
                            f"{type(key).__name__}, not str"
                        )
                    stack.append((child, depth + 1, (path, key, value)))
            else:
                for index, child in enumerate(value):
                    stack.append((child, depth + 1, (path, index, value)))
            continue
        raise InvalidItemError(
            f"{_format_path(path)}: {type(value).__name__} is not JSON-representable"
        )


def _is_ancestor(value: Any, path: _Path | None) -> bool:
    while path is not None:
        if path[2] is value:
            return True
        path = path[0]
    return False


def _format_path(path: _Path | None) -> str:
    """``$.key[0]...`` for an error message, shortened to about MAX_PATH_CHARS characters."""
    parts: list[str] = []
    while path is not None:
        key = path[1]
        parts.append(f"[{key}]" if isinstance(key, int) else f".{_short(key, 30)}")
        path = path[0]
    return _short("$" + "".join(reversed(parts)), MAX_PATH_CHARS)


def _short(text: str, limit: int = MAX_PATH_CHARS) -> str:
    if len(text) <= limit:
        return text
    half = (limit - 3) // 2
    return f"{text[:half]}...{text[-half:]}"
