"""Argument checks of the store contract, shared by every public store method.

Bad input is rejected here, before a backend is called, so nothing is written by a call that
raises: ``TypeError``/``ValueError`` for bad numbers, :class:`ConfigurationError` for bad store
options, the name errors of :mod:`sessions_plus.ids` for bad ids and names.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

from .errors import ConfigurationError
from .ids import check_name

__all__ = [
    "check_header",
    "check_int",
    "check_max_records",
    "check_streams",
    "check_time",
    "check_ttl",
    "check_upto",
    "selects_nothing",
]


def check_ttl(ttl: float | None) -> float | None:
    """Validate a TTL option: None, or a finite number of seconds greater than zero."""
    if ttl is None:
        return None
    if isinstance(ttl, bool) or not isinstance(ttl, int | float):
        raise ConfigurationError(f"ttl must be a number of seconds or None, not {ttl!r}")
    if not math.isfinite(ttl) or ttl <= 0:
        raise ConfigurationError(f"ttl must be greater than zero, not {ttl!r}")
    return float(ttl)


def check_max_records(value: int | None) -> int | None:
    """Validate the ``max_records`` option: None (no bound) or an int >= 1."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigurationError(f"max_records must be a positive int or None, not {value!r}")
    return value


def check_store_limits(on_corrupt: str, max_record_bytes: int) -> None:
    """Validate the ``on_corrupt`` policy and the ``max_record_bytes`` bound of a store."""
    if on_corrupt not in ("raise", "skip"):
        raise ConfigurationError(f"on_corrupt must be 'raise' or 'skip', not {on_corrupt!r}")
    bad = isinstance(max_record_bytes, bool) or not isinstance(max_record_bytes, int)
    if bad or max_record_bytes <= 0:
        raise ConfigurationError(
            f"max_record_bytes must be a positive int, not {max_record_bytes!r}"
        )


def check_int(value: int | None, what: str, *, minimum: int = 0) -> int | None:
    """None, or an int (not a bool) of at least ``minimum``."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what} must be an int or None, not {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{what} must be >= {minimum}, not {value}")
    return value


def check_time(value: float | None, what: str) -> float | None:
    """None, or a finite Unix time in seconds."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise TypeError(f"{what} must be a finite number of Unix seconds, not {value!r}")
    return float(value)


def selects_nothing(limit: int | None, after: int | None, before: int | None, keep: str) -> bool:
    """Check a read's range arguments; True if they select no record at all."""
    check_int(limit, "limit")
    check_int(after, "after")
    check_int(before, "before")
    if keep not in ("latest", "earliest"):
        raise ValueError(f"keep must be 'latest' or 'earliest', not {keep!r}")
    return limit == 0 or (before is not None and before <= (after or 0) + 1)


def check_header(format: str | None, author: str | None) -> None:
    """A record header's optional ``format`` and ``author`` are valid names."""
    if format is not None:
        check_name(format, "format")
    if author is not None:
        check_name(author, "author")


def check_streams(streams: Iterable[str] | None) -> frozenset[str] | None:
    """None (every stream), or a collection of valid stream names (not one bare str)."""
    if streams is None:
        return None
    if isinstance(streams, str | bytes):
        raise TypeError("streams must be a collection of stream names, not a single str")
    return frozenset(check_name(name, "stream") for name in streams)


def check_upto(upto: int | Mapping[str, int] | None) -> int | dict[str, int] | None:
    """None, one seq for every stream, or ``{stream: seq}``; every seq an int >= 0."""
    if upto is None:
        return None
    if isinstance(upto, Mapping):
        checked: dict[str, int] = {}
        for name, seq in upto.items():
            check_name(name, "stream")
            checked[name] = check_int(seq, f"upto[{name!r}]") or 0
        return checked
    value = check_int(upto, "upto")
    return 0 if value is None else value
