"""Running a hypothesis state machine against the app: hypothesis drives the machine
synchronously, so it runs in a thread of its own and hands each call to the test's event
loop, where the app and its connections live."""

import asyncio
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from hypothesis.stateful import RuleBasedStateMachine, run_state_machine_as_test
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

Result = TypeVar("Result")


@dataclass
class World:
    """What a machine needs from the test: its loop, the app and a client on it."""

    loop: asyncio.AbstractEventLoop
    app: FastAPI
    client: httpx.AsyncClient
    sessions: async_sessionmaker[AsyncSession]
    admin: dict[str, str] = field(default_factory=dict)

    def run(self, call: Coroutine[Any, Any, Result]) -> Result:
        return asyncio.run_coroutine_threadsafe(call, self.loop).result(timeout=60)


async def run_machine(machine: type[RuleBasedStateMachine], *, examples: int, steps: int) -> None:
    """Run the machine to completion in a worker thread while this loop serves its calls."""
    options = settings(
        max_examples=examples,
        stateful_step_count=steps,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    await asyncio.to_thread(run_state_machine_as_test, machine, settings=options)
