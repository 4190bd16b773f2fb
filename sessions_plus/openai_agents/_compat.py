"""Every OpenAI Agents SDK name this adapter uses that is not public API, in one place.

The SDK (``openai-agents``, supported: ``SUPPORTED``) has no public hook for two things the
adapter needs: waiting for a store write to finish even when the caller is cancelled (the SDK's
own sessions use ``_await_mutation``), and atomic history rewrites during compaction, which
``OpenAIResponsesCompactionSession`` looks up on the session *type* under the hook names below
and feeds with a ``_CompactionSnapshot``. ``tests/adapters/openai/test_compat.py`` checks each
name against the installed SDK and fails loudly when one disappears.
"""

from __future__ import annotations

from ..errors import missing_dependency

try:
    from agents.memory.session import _await_mutation as await_mutation
    from agents.memory.session import _CompactionSnapshot as CompactionSnapshot
except ImportError as _exc:  # pragma: no cover - exercised only without the extra
    raise missing_dependency("sessions_plus.openai_agents", "openai-agents", _exc) from _exc

SUPPORTED = ">=0.24,<0.25"
"""The ``openai-agents`` versions these names were checked against (pyproject's pin)."""

PRIVATE_NAMES = (
    "agents.memory.session._await_mutation",
    "agents.memory.session._CompactionSnapshot",
)
"""Private SDK names imported above."""

HOOK_NAMES = ("_atomic_replace_items", "_get_compaction_snapshot")
"""Session methods the SDK's compaction calls by these private names (StoreSession defines them)."""

__all__ = ["HOOK_NAMES", "PRIVATE_NAMES", "SUPPORTED", "CompactionSnapshot", "await_mutation"]
