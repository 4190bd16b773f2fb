"""ConnectionGate: bursts wait for a free slot in arrival order, bounded, and never leak one."""

from __future__ import annotations

import asyncio

import pytest

from sessions_plus import ConfigurationError, PoolExhaustedError, StoreUnavailableError
from sessions_plus.loops import ConnectionGate


async def test_a_burst_waits_instead_of_failing_and_never_exceeds_the_size() -> None:
    gate = ConnectionGate(4, 30.0, what="test")
    inside = peak = 0

    async def use(i: int) -> int:
        nonlocal inside, peak
        async with gate:
            inside += 1
            peak = max(peak, inside)
            await asyncio.sleep(0)
            inside -= 1
        return i

    assert await asyncio.gather(*(use(i) for i in range(1000))) == list(range(1000))
    assert peak == 4
    assert gate.in_use == 0


async def test_waiters_get_their_turn_in_arrival_order() -> None:
    gate = ConnectionGate(1, 30.0, what="test")
    order: list[int] = []
    release = asyncio.Event()

    async def holder() -> None:
        async with gate:
            await release.wait()

    async def waiter(i: int) -> None:
        async with gate:
            order.append(i)

    first = asyncio.create_task(holder())
    await asyncio.sleep(0)
    waiters = []
    for i in range(5):
        waiters.append(asyncio.create_task(waiter(i)))
        await asyncio.sleep(0)
    release.set()
    await asyncio.gather(first, *waiters)
    assert order == [0, 1, 2, 3, 4]


async def test_a_full_gate_raises_pool_exhausted_after_the_timeout_and_frees_nothing() -> None:
    gate = ConnectionGate(2, 0.05, what="Redis")
    release = asyncio.Event()

    async def holder() -> None:
        async with gate:
            await release.wait()

    holders = [asyncio.create_task(holder()) for _ in range(2)]
    await asyncio.sleep(0)
    with pytest.raises(PoolExhaustedError, match=r"all 2 connections .* busy for 0\.05 s") as info:
        async with gate:
            raise AssertionError("entered a full gate")
    assert isinstance(info.value, StoreUnavailableError)
    assert "server was not found down" in str(info.value)
    assert gate.in_use == 2
    release.set()
    await asyncio.gather(*holders)
    assert gate.in_use == 0
    async with gate:  # usable again
        assert gate.in_use == 1


async def test_a_cancelled_waiter_and_a_failing_holder_give_their_slot_back() -> None:
    gate = ConnectionGate(1, 30.0, what="test")
    release = asyncio.Event()

    async def holder() -> None:
        async with gate:
            await release.wait()

    first = asyncio.create_task(holder())
    await asyncio.sleep(0)

    async def enter() -> None:
        async with gate:
            pass

    waiter = asyncio.create_task(enter())
    await asyncio.sleep(0)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    release.set()
    await first
    with pytest.raises(ZeroDivisionError):
        async with gate:
            _ = 1 / 0
    assert gate.in_use == 0


@pytest.mark.parametrize(
    ("size", "timeout"), [(0, 1.0), (-1, 1.0), (1.5, 1.0), (True, 1.0), (1, 0), (1, -1.0),
                          (1, float("inf")), (1, float("nan")), (1, "5"), (1, None)],
)  # fmt: skip
def test_bad_sizes_and_timeouts_are_configuration_errors(size: object, timeout: object) -> None:
    with pytest.raises(ConfigurationError):
        ConnectionGate(size, timeout, what="test")  # type: ignore[arg-type]
