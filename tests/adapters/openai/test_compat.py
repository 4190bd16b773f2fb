"""Every private OpenAI Agents SDK name the adapter uses still exists in the installed SDK.

Pinned to the supported SDK versions: a new SDK release that renames or drops one of them fails
here, loudly, instead of breaking compaction or cancellation safety at run time.
"""

from __future__ import annotations

import importlib
import inspect
from importlib.metadata import version

from packaging.specifiers import SpecifierSet

from sessions_plus.openai_agents import StoreSession, _compat


def test_the_installed_sdk_is_a_supported_version() -> None:
    assert version("openai-agents") in SpecifierSet(_compat.SUPPORTED)


def test_every_private_name_exists() -> None:
    for dotted in _compat.PRIVATE_NAMES:
        module, _, name = dotted.rpartition(".")
        assert hasattr(importlib.import_module(module), name), f"{dotted} is gone"
    assert inspect.iscoroutinefunction(_compat.await_mutation)
    assert {"items", "complete", "replace_suffix"} <= set(
        inspect.signature(_compat.CompactionSnapshot).parameters
    )


def test_the_sdk_still_calls_the_compaction_hooks_by_these_names() -> None:
    import agents.memory.openai_responses_compaction_session as compaction

    source = inspect.getsource(compaction)
    for hook in _compat.HOOK_NAMES:
        assert hook in source, f"the SDK no longer looks up {hook}"
        assert callable(getattr(StoreSession, hook))
