"""Every OpenAI Agents SDK name this adapter uses that is not public API, in one place.

The SDK (``openai-agents``, supported: ``SUPPORTED``) has no public hook for three things the
adapter needs: waiting for a store write to finish even when the caller is cancelled (the SDK's
own sessions use ``_await_mutation``), atomic history rewrites during compaction, which
``OpenAIResponsesCompactionSession`` looks up on the session *type* under the hook names below
and feeds with a ``_CompactionSnapshot``, and logging failures under its model-data policy
(``AdvancedSession``, as ``AdvancedSQLiteSession``). ``tests/adapters/openai/test_compat.py``
checks each name against the installed SDK and fails loudly when one disappears.
"""

from __future__ import annotations

from ..errors import missing_dependency

try:
    from agents import _debug
    from agents.logger import (
        log_model_action_error,
        log_model_action_warning,
        log_model_and_tool_action_error,
    )
    from agents.memory.session import _await_mutation as await_mutation
    from agents.memory.session import _CompactionSnapshot as CompactionSnapshot
except ImportError as _exc:  # pragma: no cover - exercised only without the extra
    raise missing_dependency("sessions_plus.openai_agents", "openai-agents", _exc) from _exc

SUPPORTED = ">=0.24,<0.25"
"""The ``openai-agents`` versions these names were checked against (pyproject's pin)."""

PRIVATE_NAMES = (
    "agents.memory.session._await_mutation",
    "agents.memory.session._CompactionSnapshot",
    "agents._debug.DONT_LOG_MODEL_DATA",
    "agents.logger.log_model_action_error",
    "agents.logger.log_model_action_warning",
    "agents.logger.log_model_and_tool_action_error",
)
"""Private SDK names imported above. ``AdvancedSession`` logs its failures through the SDK's
own helpers so that they follow the SDK's model- and tool-data logging policy, as
``AdvancedSQLiteSession``'s do."""


def dont_log_model_data() -> bool:
    """The SDK's current policy (``OPENAI_AGENTS_DONT_LOG_MODEL_DATA``), read at call time."""
    return bool(_debug.DONT_LOG_MODEL_DATA)


HOOK_NAMES = ("_atomic_replace_items", "_get_compaction_snapshot")
"""Session methods the SDK's compaction calls by these private names (StoreSession defines them)."""

__all__ = [
    "HOOK_NAMES",
    "PRIVATE_NAMES",
    "SUPPORTED",
    "CompactionSnapshot",
    "await_mutation",
    "dont_log_model_data",
    "log_model_action_error",
    "log_model_action_warning",
    "log_model_and_tool_action_error",
]
