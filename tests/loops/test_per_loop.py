"""PerLoop: one lazily made resource per event loop, closed with the owner."""

from __future__ import annotations

import asyncio
import gc
import threading
import weakref
from collections.abc import Iterator

import pytest

from sessions_plus.loops import PerLoop


class Resource:
    """Stands in for a loop-bound client; remembers which loop made and closed it."""

    def __init__(self, number: int) -> None:
        self.number = number
        self.loop = asyncio.get_running_loop()
        self.closed_on: asyncio.AbstractEventLoop | None = None


class Maker:
    """Factory and closer for PerLoop with counters and optional delay or failure."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.made: list[Resource] = []
        self.fail_next = 0
        self.close_error: Exception | None = None

    async def make(self) -> Resource:
        await asyncio.sleep(self.delay)
        if self.fail_next:
            self.fail_next -= 1
            raise OSError("connection refused")
        resource = Resource(len(self.made) + 1)
        self.made.append(resource)
        return resource

    async def close(self, resource: Resource) -> None:
        resource.closed_on = asyncio.get_running_loop()
        if self.close_error is not None and resource.number == 1:
            raise self.close_error


@pytest.fixture
def background_loop() -> Iterator[asyncio.AbstractEventLoop]:
    """An event loop running forever in another thread."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    yield loop
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)
    loop.close()


async def test_one_resource_per_loop_shared_under_concurrency() -> None:
    maker = Maker(delay=0.01)
    per_loop = PerLoop(maker.make, maker.close)
    got = await asyncio.gather(*(per_loop.get() for _ in range(20)))
    assert len(maker.made) == 1
    assert all(resource is maker.made[0] for resource in got)
    assert await per_loop.get() is maker.made[0]
    await per_loop.aclose()


async def test_each_loop_gets_its_own_resource() -> None:
    maker = Maker()
    per_loop = PerLoop(maker.make, maker.close)
    here = await per_loop.get()

    def other_thread() -> tuple[Resource, Resource]:
        async def twice() -> tuple[Resource, Resource]:
            return await per_loop.get(), await per_loop.get()

        return asyncio.run(twice())

    first, second = await asyncio.to_thread(other_thread)
    assert first is second
    assert first is not here
    assert first.loop is not here.loop
    assert here.loop is asyncio.get_running_loop()
    assert len(maker.made) == 2
    await per_loop.aclose()


async def test_creation_failure_reaches_every_waiter_and_is_retried() -> None:
    maker = Maker(delay=0.01)
    maker.fail_next = 1
    per_loop = PerLoop(maker.make, maker.close)
    results = await asyncio.gather(*(per_loop.get() for _ in range(5)), return_exceptions=True)
    assert all(isinstance(r, OSError) for r in results), results
    assert maker.made == []
    resource = await per_loop.get()  # tried again, not a cached failure
    assert maker.made == [resource]
    await per_loop.aclose()


async def test_cancelled_creator_does_not_cancel_the_waiters() -> None:
    maker = Maker(delay=0.05)
    per_loop = PerLoop(maker.make, maker.close)
    creator = asyncio.create_task(per_loop.get())
    await asyncio.sleep(0)  # the creator is now inside make()
    waiter = asyncio.create_task(per_loop.get())
    await asyncio.sleep(0)
    creator.cancel()
    with pytest.raises(asyncio.CancelledError):
        await creator
    resource = await asyncio.wait_for(waiter, 5)
    assert maker.made == [resource]
    await per_loop.aclose()


async def test_a_cancelled_waiter_does_not_cancel_the_creation() -> None:
    maker = Maker(delay=0.05)
    per_loop = PerLoop(maker.make, maker.close)
    creator = asyncio.create_task(per_loop.get())
    await asyncio.sleep(0)
    waiter = asyncio.create_task(per_loop.get())
    await asyncio.sleep(0)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert await creator is maker.made[0]
    await per_loop.aclose()


async def test_aclose_closes_on_this_loop_and_on_other_live_loops(
    background_loop: asyncio.AbstractEventLoop,
) -> None:
    maker = Maker()
    per_loop = PerLoop(maker.make, maker.close)
    here = await per_loop.get()
    there = await asyncio.wrap_future(
        asyncio.run_coroutine_threadsafe(per_loop.get(), background_loop)
    )
    assert there.loop is background_loop
    await per_loop.aclose()
    assert here.closed_on is asyncio.get_running_loop()
    assert there.closed_on is background_loop  # closed on its own loop, thread-safely
    again = await per_loop.get()  # usable again afterwards: a fresh resource
    assert again is not here and again.closed_on is None
    await per_loop.aclose()


async def test_aclose_skips_resources_of_closed_loops() -> None:
    maker = Maker()
    per_loop = PerLoop(maker.make, maker.close)
    dead = await asyncio.to_thread(asyncio.run, per_loop.get())
    assert dead.loop.is_closed()
    here = await per_loop.get()
    await per_loop.aclose()
    assert dead.closed_on is None
    assert here.closed_on is asyncio.get_running_loop()


async def test_resources_of_dead_loops_are_pruned() -> None:
    maker = Maker()
    per_loop = PerLoop(maker.make, maker.close)
    dead = await asyncio.to_thread(asyncio.run, per_loop.get())
    ref = weakref.ref(dead)
    maker.made.clear()
    del dead
    gc.collect()
    assert ref() is not None, "still held for its (closed) loop until the next creation"
    await per_loop.get()  # a creation on a new loop prunes entries of closed loops
    gc.collect()
    assert ref() is None
    await per_loop.aclose()


async def test_aclose_closes_everything_even_if_one_closer_fails(
    background_loop: asyncio.AbstractEventLoop,
) -> None:
    maker = Maker()
    maker.close_error = OSError("close failed")
    per_loop = PerLoop(maker.make, maker.close)
    first = await per_loop.get()
    second = await asyncio.wrap_future(
        asyncio.run_coroutine_threadsafe(per_loop.get(), background_loop)
    )
    with pytest.raises(OSError, match="close failed"):
        await per_loop.aclose()
    assert first.closed_on is not None
    assert second.closed_on is background_loop
