"""Read-only web viewer for any store: sessions list, conversations as chat bubbles, live.

Needs the ``viewer`` extra (Starlette, uvicorn). ``sessions-plus serve URL`` runs it;
:func:`create_app` gives the ASGI app to mount or test.
"""

from __future__ import annotations

from ..errors import missing_dependency

try:
    import starlette  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised by the wheel test without extras
    raise missing_dependency("the web viewer", "viewer", exc) from exc

from .app import create_app
from .auth import is_loopback

__all__ = ["create_app", "is_loopback"]
