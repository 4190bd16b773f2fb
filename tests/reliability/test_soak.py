"""Contention soak, CI form: 8 processes appending to one session on every cross-process backend.

Sizes come from the environment so the same test runs longer by hand:
``SOAK_WRITERS`` (default 8), ``SOAK_APPENDS`` (appends per writer, default 100) and
``SOAK_APPENDS_DYNAMODB`` (default 10: DynamoDB on moto serves a few hundred requests per
second, and every contended append costs retries). The full 8 x 500 run is
``python -m benchmarks.soak --writers 8 --appends 500 [--backend ...]``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ALL_BACKENDS
from tests.fixtures.factory import StoreFactory
from tests.fixtures.processes import REPO_ROOT, child_env

WRITERS = int(os.environ.get("SOAK_WRITERS", "8"))
APPENDS = int(os.environ.get("SOAK_APPENDS", "100"))
APPENDS_DYNAMODB = int(os.environ.get("SOAK_APPENDS_DYNAMODB", "10"))


def appends_for(factory: StoreFactory, divisor: int = 1) -> int:
    appends = factory.scaled(APPENDS, APPENDS, APPENDS_DYNAMODB)
    return max(8, appends // divisor)  # at least one interleaved read per writer


def run_soak(
    tmp_path: Path, url: str, *, writers: int, appends: int, encrypted: bool = False
) -> dict[str, Any]:
    """``python -m benchmarks.soak`` (the full-size soak's own command), at CI size."""
    out = tmp_path / "soak.json"
    command = [sys.executable, "-m", "benchmarks.soak", "--url", url, "--json", str(out)]
    command += ["--writers", str(writers), "--appends", str(appends)]
    if encrypted:
        command.append("--encrypted")
    done = subprocess.run(
        command, cwd=REPO_ROOT, env=child_env(), capture_output=True, text=True, timeout=600
    )
    print(done.stdout)  # the figures, with -s
    assert out.exists(), done.stderr
    result: dict[str, Any] = json.loads(out.read_text())
    assert done.returncode == (0 if result["ok"] else 1), done.stderr
    return result


def check(result: dict[str, Any]) -> None:
    assert not result["errors"]
    assert result["records"] == result["writers"] * result["appends"]
    assert (result["lost"], result["duplicated"], result["out_of_order"]) == (0, 0, 0)
    assert not result["seq_gaps"]
    assert (result["scratch_lost"], result["scratch_duplicated"]) == (0, 0)
    assert result["scratch_popped"] + result["scratch_left"] == result["scratch_appended"]
    assert result["reads"] > 0
    assert result["ok"]


@pytest.mark.slow
def test_contention_soak(cross_process_factory: StoreFactory, tmp_path: Path) -> None:
    factory = cross_process_factory
    check(run_soak(tmp_path, factory.url(), writers=WRITERS, appends=appends_for(factory)))


ENCRYPTED_ON = [name for name in ("sqlite-file", "redis") if name in ALL_BACKENDS]


@pytest.fixture(params=ENCRYPTED_ON)
def encrypted_soak_factory(request: pytest.FixtureRequest) -> StoreFactory:
    factory: StoreFactory = request.getfixturevalue(ALL_BACKENDS[request.param])
    return factory


@pytest.mark.slow
def test_contention_soak_encrypted(encrypted_soak_factory: StoreFactory, tmp_path: Path) -> None:
    """EncryptedStore's optimistic appends (if_last_seq + retry) under the same contention.

    On one file backend and one server backend: the wrapper's retry logic is the same on all,
    and every backend's if_last_seq is covered by test_encryption.py's concurrent test."""
    factory = encrypted_soak_factory
    result = run_soak(
        tmp_path,
        factory.url(),
        writers=WRITERS,
        appends=appends_for(factory, divisor=4),
        encrypted=True,
    )
    check(result)
