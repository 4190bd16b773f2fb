"""``sqlite://`` store URLs: the path forms and the SQLite-only options."""

from __future__ import annotations

from typing import Any
from urllib.parse import SplitResult, unquote

from ...errors import ConfigurationError
from ...options import Options, common_options, pop_float, reject_unknown
from .connections import MEMORY


def url_path(parts: SplitResult) -> str:
    """``sqlite:///rel.db`` -> ``rel.db``; ``sqlite:////abs.db`` -> ``/abs.db``; memory forms."""
    path = unquote(parts.path)
    if parts.netloc:
        if parts.netloc == MEMORY and path in ("", "/"):
            return MEMORY
        raise ConfigurationError(
            f"sqlite URLs take no host ({parts.netloc!r}): use sqlite:///relative.db, "
            "sqlite:////absolute.db or sqlite://:memory:"
        )
    path = path[1:] if path.startswith("/") else path
    if not path:
        raise ConfigurationError(
            "sqlite URL has no path: use sqlite:///relative.db, sqlite:////absolute.db "
            "or sqlite://:memory:"
        )
    return path


def url_store_options(options: Options) -> dict[str, Any]:
    """The constructor's keyword options from a URL's (merged) options; unknown ones raise."""
    found = common_options(options)
    busy_timeout = pop_float(options, "busy_timeout")
    if busy_timeout is not None:
        found["busy_timeout"] = busy_timeout
    for key in ("table_prefix", "synchronous", "sessions_table"):
        if key in options:
            found[key] = options.pop(key)
    reject_unknown(options, "sqlite")
    return found
