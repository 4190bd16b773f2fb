"""Validation of session ids, stream names and document names.

Any non-empty ``str`` of valid Unicode text (no lone surrogates) up to the documented length is a
valid id, including ``:``, ``{``, ``}``, ``*``, ``/``, spaces, control characters and non-ASCII.
Backends escape or encode ids so that no two ids share storage.
"""

from __future__ import annotations

from .errors import InvalidSessionIdError

MAX_SESSION_ID_LENGTH = 256
"""Longest session id accepted, in characters (at most 1,024 bytes of UTF-8)."""

MAX_NAME_LENGTH = 256
"""Longest stream or document name accepted, in characters."""


def _check(value: object, what: str, limit: int) -> str:
    if not isinstance(value, str):
        raise InvalidSessionIdError(f"{what} must be a str, not {type(value).__name__}")
    if not value:
        raise InvalidSessionIdError(f"{what} must not be empty")
    if len(value) > limit:
        raise InvalidSessionIdError(f"{what} is {len(value)} characters long; the limit is {limit}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidSessionIdError(f"{what} is not valid Unicode text: {exc.reason}") from None
    return value


def check_session_id(session_id: object) -> str:
    """Return ``session_id`` if it is a valid session id, else raise InvalidSessionIdError."""
    return _check(session_id, "session id", MAX_SESSION_ID_LENGTH)


def check_name(name: object, what: str = "name") -> str:
    """Return ``name`` if it is a valid stream or document name, else raise."""
    return _check(name, what, MAX_NAME_LENGTH)
