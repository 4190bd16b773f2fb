"""Offline Strands helpers for the tests: the scripted model and a worker process entry."""

from __future__ import annotations

from sessions_plus.strands_testing import ScriptedModel, handoff, texts, tool_call

__all__ = ["ScriptedModel", "handoff", "texts", "tool_call"]


def _worker(url: str, session_id: str, worker: int, turns: int) -> None:
    """One worker process: ``turns`` turns of agent ``assistant`` on a shared session."""
    from strands import Agent

    from sessions_plus import open_store
    from sessions_plus.strands import StoreSessionManager

    with StoreSessionManager(session_id, open_store(url), close_store=True) as manager:
        bot = Agent(
            model=ScriptedModel([f"w{worker} reply"]),
            session_manager=manager,
            agent_id="assistant",
            callback_handler=None,
        )
        for turn in range(turns):
            bot(f"w{worker} turn {turn}")


if __name__ == "__main__":
    import sys

    if sys.argv[1:2] == ["worker"]:
        _worker(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
    else:
        raise SystemExit("usage: python -m tests.strands_support worker URL SESSION N TURNS")
