"""Sharing work between concurrent requests. `Batcher` coalesces calls to a remote service into
one round trip per batch: the calls made while a round trip is in flight are sent together in
the next (idle, a call goes out at once; under load one MGET or pipeline serves every request
waiting for it). `SingleFlight` lets one request build a costly value while the others asking
for it wait for that build."""

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


class Batcher(Generic[Item, Result]):
    def __init__(self, send: Callable[[list[Item]], Awaitable[Sequence[Result]]]) -> None:
        """send: one round trip for a batch, returning one result per item, in order."""
        self._send = send
        self._items: list[Item] = []
        self._waiters: list[asyncio.Future[Result]] = []
        self._task: asyncio.Task[None] | None = None

    async def __call__(self, item: Item) -> Result:
        waiter: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._items.append(item)
        self._waiters.append(waiter)
        if self._task is None:
            self._task = asyncio.create_task(self._run())
        return await waiter

    async def _run(self) -> None:
        try:
            while self._items:
                items, waiters = self._items, self._waiters
                self._items, self._waiters = [], []
                try:
                    results = await self._send(items)
                except asyncio.CancelledError:
                    _cancel(waiters)
                    raise
                except Exception as error:  # each waiter raises it to its caller
                    for waiter in waiters:
                        if not waiter.done():
                            waiter.set_exception(error)
                    continue
                for waiter, result in zip(waiters, results, strict=True):
                    if not waiter.done():  # a caller that was cancelled meanwhile
                        waiter.set_result(result)
        finally:
            self._task = None
            _cancel(self._waiters)  # only when cancelled: no round trip is left for them
            self._items, self._waiters = [], []

    async def aclose(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        # A task cancelled before it ever ran leaves its callers here.
        _cancel(self._waiters)
        self._items, self._waiters = [], []


def _cancel(waiters: list[asyncio.Future[Result]]) -> None:
    for waiter in waiters:
        waiter.cancel()


class SingleFlight(Generic[Result]):
    """One build per key at a time: callers asking for a key while it is being built share
    that build's result (or error) instead of starting their own. A caller that is cancelled
    leaves the build running for the others."""

    def __init__(self) -> None:
        self._flights: dict[Hashable, asyncio.Future[Result]] = {}

    async def run(self, key: Hashable, build: Callable[[], Awaitable[Result]]) -> Result:
        flight = self._flights.get(key)
        if flight is None:
            flight = asyncio.ensure_future(build())
            self._flights[key] = flight
            flight.add_done_callback(lambda done: self._landed(key, done))
        return await asyncio.shield(flight)

    def _landed(self, key: Hashable, flight: asyncio.Future[Result]) -> None:
        if self._flights.get(key) is flight:
            del self._flights[key]
        if not flight.cancelled():
            flight.exception()  # retrieved: no warning when every caller has gone
