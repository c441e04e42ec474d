"""Batcher: calls made while a round trip is in flight share the next one. SingleFlight: one
build per key at a time."""

import asyncio

import pytest

from storefront.core.batching import Batcher, SingleFlight


class Remote:
    """A stand-in for a remote service: each round trip takes a moment and is recorded."""

    def __init__(self, fail_first: bool = False) -> None:
        self.round_trips: list[list[int]] = []
        self.fail_first = fail_first

    async def send(self, items: list[int]) -> list[int]:
        self.round_trips.append(items)
        await asyncio.sleep(0.01)
        if self.fail_first and len(self.round_trips) == 1:
            raise ConnectionError("down")
        return [item * 10 for item in items]


async def test_calls_during_a_round_trip_share_the_next_one() -> None:
    remote = Remote()
    batcher = Batcher(remote.send)

    first = asyncio.create_task(batcher(1))
    await asyncio.sleep(0)  # the first round trip is in flight
    results = await asyncio.gather(first, *(batcher(n) for n in range(2, 12)))

    assert results == [n * 10 for n in range(1, 12)]
    assert remote.round_trips == [[1], list(range(2, 12))]


async def test_a_failed_round_trip_fails_its_callers_only() -> None:
    remote = Remote(fail_first=True)
    batcher = Batcher(remote.send)

    failed = asyncio.gather(batcher(1), batcher(2), return_exceptions=True)
    results = await failed
    later = await batcher(3)

    assert [type(result) for result in results] == [ConnectionError, ConnectionError]
    assert later == 30


async def test_a_cancelled_caller_leaves_the_others_their_results() -> None:
    remote = Remote()
    batcher = Batcher(remote.send)

    cancelled = asyncio.create_task(batcher(1))
    kept = asyncio.create_task(batcher(2))
    await asyncio.sleep(0)
    cancelled.cancel()

    assert await kept == 20
    with pytest.raises(asyncio.CancelledError):
        await cancelled


async def test_closing_cancels_the_waiting_callers() -> None:
    remote = Remote()
    batcher = Batcher(remote.send)
    waiting = asyncio.create_task(batcher(1))
    await asyncio.sleep(0)

    await batcher.aclose()

    with pytest.raises(asyncio.CancelledError):
        await waiting


async def test_callers_of_a_key_being_built_share_one_build() -> None:
    builds: list[str] = []
    flights = SingleFlight[str]()

    async def build(key: str) -> str:
        builds.append(key)
        await asyncio.sleep(0.01)
        return key.upper()

    results = await asyncio.gather(
        *(flights.run("a", lambda: build("a")) for _ in range(10)),
        flights.run("b", lambda: build("b")),
    )
    again = await flights.run("a", lambda: build("a"))

    assert results == ["A"] * 10 + ["B"]
    assert builds == ["a", "b", "a"]  # the last once the first build had landed
    assert again == "A"


async def test_a_failed_build_fails_its_callers_and_the_next_call_builds_again() -> None:
    flights = SingleFlight[int]()
    attempts = 0

    async def build() -> int:
        nonlocal attempts
        attempts += 1
        await asyncio.sleep(0.01)
        if attempts == 1:
            raise ConnectionError("down")
        return attempts

    failed = await asyncio.gather(
        flights.run("k", build), flights.run("k", build), return_exceptions=True
    )

    assert [type(result) for result in failed] == [ConnectionError, ConnectionError]
    assert await flights.run("k", build) == 2


async def test_a_cancelled_caller_leaves_the_build_to_the_others() -> None:
    flights = SingleFlight[str]()

    async def build() -> str:
        await asyncio.sleep(0.01)
        return "done"

    cancelled = asyncio.create_task(flights.run("k", build))
    kept = asyncio.create_task(flights.run("k", build))
    await asyncio.sleep(0)
    cancelled.cancel()

    assert await kept == "done"
