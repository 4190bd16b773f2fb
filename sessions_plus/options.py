"""Store options from a URL query (strings) and keyword arguments (typed values), parsed once.

Every backend's ``from_url`` takes its options out of one ``dict`` with these helpers, so a query
parameter and the same keyword argument mean the same thing everywhere (``?ttl=60`` and
``ttl=60``; ``?refresh_on_read=yes`` and ``refresh_on_read=True``), and an option nobody consumed
is an error rather than a silently ignored typo.
"""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import SplitResult, parse_qsl

from .errors import ConfigurationError

Options = dict[str, Any]
"""Option name -> value: ``str`` from a URL query, or any type from a keyword argument."""

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off", ""})


def url_options(parts: SplitResult, overrides: Options) -> Options:
    """The URL's query parameters, overridden by keyword arguments."""
    options: Options = dict(parse_qsl(parts.query, keep_blank_values=True))
    options.update(overrides)
    return options


def pop_float(query: Options, key: str) -> float | None:
    """Take an optional number option out of ``query`` (None, ``""`` and ``"none"``: unset)."""
    raw = query.pop(key, None)
    if raw is None:
        return None
    if isinstance(raw, str):
        if raw == "" or raw.lower() == "none":
            return None
        try:
            return float(raw)
        except ValueError:
            raise ConfigurationError(f"option {key}={raw!r} is not a number") from None
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise ConfigurationError(f"option {key}={raw!r} is not a number")
    return float(raw)


def pop_int(query: Options, key: str) -> int | None:
    """Take an optional whole-number option out of ``query``."""
    raw = query.get(key)
    value = pop_float(query, key)
    if value is None:
        return None
    if not math.isfinite(value) or value != int(value):
        raise ConfigurationError(f"option {key}={raw!r} is not an int")
    return int(value)


def pop_bool(query: Options, key: str, default: bool = False) -> bool:
    """Take an optional boolean option (1/0, true/false, yes/no, on/off) out of ``query``."""
    raw = query.pop(key, None)
    if raw is None:
        return default
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str):
        value = raw.strip().lower()
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
    raise ConfigurationError(f"option {key}={raw!r} is not a boolean")


def pop_str(query: Options, key: str) -> str | None:
    """Take an optional text option out of ``query``."""
    raw = query.pop(key, None)
    if raw is None or isinstance(raw, str):
        return raw
    raise ConfigurationError(f"option {key}={raw!r} is not a string")


def common_options(query: Options) -> Options:
    """Take the options every store shares: ttl, refresh_on_read, on_corrupt, max_record_bytes,
    max_records and read_only."""
    options: Options = {
        "ttl": pop_float(query, "ttl"),
        "refresh_on_read": pop_bool(query, "refresh_on_read"),
    }
    if "on_corrupt" in query:
        options["on_corrupt"] = query.pop("on_corrupt")
    max_records = pop_int(query, "max_records")
    if max_records is not None:
        options["max_records"] = max_records
    if "read_only" in query:
        options["read_only"] = pop_bool(query, "read_only")
    if "max_record_bytes" in query:
        raw = query.get("max_record_bytes")
        if isinstance(raw, int) and not isinstance(raw, bool):
            options["max_record_bytes"] = query.pop("max_record_bytes")
        else:
            try:
                options["max_record_bytes"] = pop_int(query, "max_record_bytes")
            except ConfigurationError:
                raise ConfigurationError(f"option max_record_bytes={raw!r} is not an int") from None
    return options


def reject_unknown(query: Options, scheme: str) -> None:
    """Fail loudly on options nobody consumed, rather than ignoring a typo."""
    if query:
        raise ConfigurationError(f"unknown option(s) for {scheme}://: {', '.join(sorted(query))}")
