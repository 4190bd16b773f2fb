"""The registry of stored item formats, keyed by the record ``format`` header.

Each format is one module with a pair of converters (to and from the neutral model) filled into a
:class:`Format`; conversion between any two formats goes through the neutral model, so adding a
format (``openai.chat``, ``anthropic.messages`` ...) is one new module plus one line below (or one
:func:`register_format` call from outside), never a converter per pair.
"""

from __future__ import annotations

import threading

from ...errors import ConfigurationError
from . import openai_responses, strands_message
from .base import NO_TRAFFIC, Format, ToNeutral, Traffic, invalid

_FORMATS: dict[str, Format] = {
    openai_responses.NAME: openai_responses.FORMAT,
    strands_message.NAME: strands_message.FORMAT,
}
_ALIASES: dict[str, str] = {fmt.alias: name for name, fmt in _FORMATS.items()}
_lock = threading.Lock()

OPENAI_RESPONSES = openai_responses.NAME
STRANDS_MESSAGE = strands_message.NAME


def register_format(fmt: Format, *, replace: bool = False) -> None:
    """Add a format (its ``name`` is the record header it converts, ``alias`` a short name)."""
    if not isinstance(fmt, Format):
        raise TypeError(f"expected a Format, not {type(fmt).__name__}")
    with _lock:
        taken = fmt.name in _FORMATS or (fmt.alias in _ALIASES and _ALIASES[fmt.alias] != fmt.name)
        if taken and not replace:
            raise ConfigurationError(f"format {fmt.name!r} (alias {fmt.alias!r}) is registered")
        _FORMATS[fmt.name] = fmt
        _ALIASES[fmt.alias] = fmt.name


def find_format(name: str | None) -> Format | None:
    """The format registered under ``name`` (a record header or an alias), or None."""
    if name is None:
        return None
    fmt = _FORMATS.get(name)
    if fmt is None and name in _ALIASES:
        fmt = _FORMATS.get(_ALIASES[name])
    return fmt


def get_format(name: str | Format) -> Format:
    """The format for ``name`` (a record header or an alias); ConfigurationError if unknown."""
    if isinstance(name, Format):
        return name
    fmt = find_format(name)
    if fmt is None:
        known = ", ".join(sorted(_FORMATS) + sorted(_ALIASES))
        raise ConfigurationError(f"unknown conversation format {name!r}; known: {known}")
    return fmt


def format_names() -> list[str]:
    """Every registered format name, sorted."""
    return sorted(_FORMATS)


__all__ = [
    "NO_TRAFFIC",
    "OPENAI_RESPONSES",
    "STRANDS_MESSAGE",
    "Format",
    "ToNeutral",
    "Traffic",
    "find_format",
    "format_names",
    "get_format",
    "invalid",
    "register_format",
]
