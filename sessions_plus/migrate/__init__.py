"""Copy whole stores (``sessions-plus migrate``): resumable, verifiable, bounded concurrency.

:func:`migrate` is the Python API the command line calls; :func:`copy_session` copies one
session; :func:`fingerprint` gives counts, seq ranges and a content hash of a snapshot.
"""

from __future__ import annotations

from .copier import OUTCOMES, MigrationReport, SessionResult, copy_session, list_ids, migrate
from .digest import Fingerprint, fingerprint

__all__ = [
    "OUTCOMES",
    "Fingerprint",
    "MigrationReport",
    "SessionResult",
    "copy_session",
    "fingerprint",
    "list_ids",
    "migrate",
]
