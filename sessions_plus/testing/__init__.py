"""Test doubles for applications that use sessions-plus: offline models, in-process stores.

Everything here is meant for *your* tests: agents that run with no API key and no network, and
stores that need no server. Names that need an SDK load on first use, so
``import sessions_plus.testing`` works with neither SDK installed:

* :class:`ScriptedModel` (Strands): a ``strands.models.Model`` that streams scripted replies and
  records the history it was shown; :func:`tool_call`, :func:`handoff` and :func:`texts` build
  and read scripted turns. (For the OpenAI Agents SDK use ``agents.testing.ScriptedModel``.)
* :class:`ValidatingModel` (Strands) and :class:`ValidatingOpenAIModel` (OpenAI Agents SDK):
  scripted models that refuse, with the provider's own error, a history the provider would
  refuse (a tool call without its result, a result without its call, Bedrock's role order);
  the rules are plain functions in :mod:`sessions_plus.testing.providers`.
* :class:`FakeRedisStore` / :func:`fake_redis_store` (``redis+fake://`` URLs): the real
  ``RedisStore`` and its Lua scripts on an in-process fakeredis server (extra ``testing``).
* :class:`~sessions_plus.MemoryStore`: an in-process store with the full contract.
* A pytest plugin (:mod:`sessions_plus.testing.pytest_plugin`, loaded automatically when
  sessions-plus is installed): ``sessions_plus_store`` (a fresh store per test for any URL),
  ``strands_scripted_model`` and ``openai_scripted_model``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ..backends.memory import MemoryStore
from .providers import check_converse_messages, check_responses_input

if TYPE_CHECKING:
    from .fakeredis import FakeRedisStore, fake_redis_server, fake_redis_store
    from .openai_agents import ValidatingOpenAIModel
    from .strands import (
        ScriptedModel,
        ValidatingModel,
        ValidationException,
        handoff,
        texts,
        tool_call,
    )

_LAZY = {
    "FakeRedisStore": "sessions_plus.testing.fakeredis",
    "fake_redis_server": "sessions_plus.testing.fakeredis",
    "fake_redis_store": "sessions_plus.testing.fakeredis",
    "ScriptedModel": "sessions_plus.testing.strands",
    "handoff": "sessions_plus.testing.strands",
    "texts": "sessions_plus.testing.strands",
    "tool_call": "sessions_plus.testing.strands",
    "ValidatingModel": "sessions_plus.testing.strands",
    "ValidationException": "sessions_plus.testing.strands",
    "ValidatingOpenAIModel": "sessions_plus.testing.openai_agents",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'sessions_plus.testing' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "FakeRedisStore",
    "MemoryStore",
    "ScriptedModel",
    "ValidatingModel",
    "ValidatingOpenAIModel",
    "ValidationException",
    "check_converse_messages",
    "check_responses_input",
    "fake_redis_server",
    "fake_redis_store",
    "handoff",
    "texts",
    "tool_call",
]
