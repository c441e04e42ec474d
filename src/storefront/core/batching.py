"""Coalesces concurrent calls to a remote service into one round trip per batch: the calls made
while a round trip is in flight are sent together in the next. Idle, a call goes out at once;
under load, one round trip (one MGET, one pipeline) serves every request waiting for it, so the
per-request cost of the client library stays flat."""

import asyncio
from collections.abc import Awaitable, Callable, Sequence
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
