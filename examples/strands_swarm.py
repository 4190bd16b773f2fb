"""A Strands Swarm whose progress survives a restart: stop it part-way, run it again, it resumes.

A researcher hands off to a writer. The swarm's state is saved in the store after every node, so a
process that dies after the researcher finished resumes at the writer next time, without running
the researcher again::

    python examples/strands_swarm.py --stop-part-way   # dies after the researcher's node
    python examples/strands_swarm.py                   # resumes: only the writer runs

Stores: ``--store sqlite:///strands_swarm.db`` (default), ``redis://...``, ``dynamodb://...``.
Offline by default: scripted models play both agents; ``--live`` uses Strands' default model
(Amazon Bedrock; needs AWS credentials).
"""

from __future__ import annotations

import argparse
import os
from typing import Any

from strands import Agent
from strands.multiagent import Swarm
from strands.types.content import Messages

from sessions_plus import open_store
from sessions_plus.strands import StoreSessionManager
from sessions_plus.testing import ScriptedModel, handoff

SWARM_ID = "otter-post"
TASK = "Write a two-sentence post about why sea otters hold hands."
EXIT_PART_WAY = 3


def build_swarm(manager: StoreSessionManager, *, live: bool, stop_part_way: bool) -> Swarm:
    """Researcher -> writer. Offline, scripted models play them."""

    def writer_reply(messages: Messages) -> str:
        if stop_part_way:
            print("[writer] ...the process stops here (simulated crash)", flush=True)
            os._exit(EXIT_PART_WAY)
        return (
            "Sea otters hold hands while they sleep so they don't drift apart. "
            "A group of otters floating together is called a raft."
        )

    def model(script: list[Any]) -> dict[str, Any]:
        return {} if live else {"model": ScriptedModel(script)}

    researcher = Agent(
        name="researcher",
        system_prompt="Find one surprising fact, then hand off to the writer.",
        callback_handler=None,
        **model([handoff("writer", "Fact: otters hold hands to keep from drifting."), "Done."]),
    )
    writer = Agent(
        name="writer",
        system_prompt="Write the post from the researcher's fact.",
        callback_handler=None,
        **model([writer_reply]),
    )
    return Swarm([researcher, writer], session_manager=manager, id=SWARM_ID)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", default="sqlite:///strands_swarm.db", help="store URL")
    parser.add_argument("--session", default="otter-swarm", help="session id")
    parser.add_argument("--stop-part-way", action="store_true", help="die after the first node")
    parser.add_argument("--live", action="store_true", help="use Strands' default model")
    args = parser.parse_args()

    with StoreSessionManager(args.session, open_store(args.store), close_store=True) as manager:
        saved = manager.repository.read_multi_agent(args.session, SWARM_ID)
        if saved and saved.get("next_nodes_to_execute"):
            print(
                f"resuming {SWARM_ID}: done {saved['node_history']}, "
                f"next {saved['next_nodes_to_execute']}"
            )
        else:
            print(f"starting {SWARM_ID} on {args.store} (session {args.session})")
        swarm = build_swarm(manager, live=args.live, stop_part_way=args.stop_part_way)
        result = swarm(TASK)
        ran_here = [
            node_id
            for node_id, node in swarm.nodes.items()
            if not args.live and node.executor.model.calls
        ]
        print(f"status: {result.status.value}; nodes: {[n.node_id for n in result.node_history]}")
        if not args.live:
            print(f"nodes that ran in this process: {ran_here}")
        writer = result.results.get("writer")
        if writer is not None and writer.result is not None:
            print(f"post: {str(writer.result).strip()}")


if __name__ == "__main__":
    main()
