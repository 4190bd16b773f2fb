"""Validation of session ids, stream names and document names.

Any non-empty ``str`` of valid Unicode text (no lone surrogates) up to the documented length is a
valid id, including ``:``, ``{``, ``}``, ``*``, ``/``, spaces, control characters and non-ASCII.
Backends escape or encode ids so that no two ids share storage.
"""

from __future__ import annotations

from .errors import InvalidNameError, InvalidSessionIdError

MAX_SESSION_ID_LENGTH = 256
"""Longest session id accepted, in characters (at most 1,024 bytes of UTF-8)."""

MAX_NAME_LENGTH = 256
"""Longest stream or document name accepted, in characters."""


def _check(value: object, what: str, limit: int, error: type[InvalidNameError]) -> str:
    if not isinstance(value, str):
        raise error(f"{what} must be a str, not {type(value).__name__}")
    if not value:
        raise error(f"{what} must not be empty")
    if len(value) > limit:
        raise error(f"{what} is {len(value)} characters long; the limit is {limit}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise error(f"{what} is not valid Unicode text: {exc.reason}") from None
    return value


def check_session_id(session_id: object) -> str:
    """Return ``session_id`` if it is a valid session id, else raise InvalidSessionIdError."""
    return _check(session_id, "session id", MAX_SESSION_ID_LENGTH, InvalidSessionIdError)


def check_name(name: object, what: str = "name") -> str:
    """Return ``name`` if it is a valid stream or document name (or format, author), else raise
    :class:`InvalidNameError`."""
    return _check(name, what, MAX_NAME_LENGTH, InvalidNameError)
