"""Liveness, readiness and metrics endpoints for operators (outside /api/v1)."""

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Literal

import aio_pika
from fastapi import APIRouter, FastAPI, Request, Response
from sqlalchemy import text

from storefront.core.metrics import mark_this_process_dead, render_metrics
from storefront.core.schemas import Schema

logger = logging.getLogger(__name__)


@asynccontextmanager
async def _lifespan(_: FastAPI) -> AsyncIterator[None]:
    yield
    mark_this_process_dead()


router = APIRouter(tags=["operations"], lifespan=_lifespan)

CHECK_TIMEOUT_SECONDS = 2.0
CheckResult = Literal["ok", "unavailable"]


class Health(Schema):
    status: Literal["success"] = "success"


class Readiness(Schema):
    status: Literal["success", "error"]
    checks: dict[str, CheckResult]


@router.get("/health", response_model=Health)
async def health() -> Health:
    return Health()


@router.get("/ready", response_model=Readiness, responses={503: {"model": Readiness}})
async def ready(request: Request, response: Response) -> Readiness:
    checks = {name: await _run(name, check) for name, check in _checks(request).items()}
    ok = all(result == "ok" for result in checks.values())
    response.status_code = 200 if ok else 503
    return Readiness(status="success" if ok else "error", checks=checks)


@router.get("/metrics", include_in_schema=False)
async def metrics() -> Response:
    body, content_type = render_metrics()
    return Response(body, media_type=content_type)


def _checks(request: Request) -> dict[str, Callable[[], Awaitable[object]]]:
    state = request.app.state
    checks: dict[str, Callable[[], Awaitable[object]]] = {
        "database": lambda: _ping_database(request)
    }
    if state.redis is not None:
        checks["redis"] = state.redis.ping
    if state.settings.broker_url:
        checks["broker"] = lambda: _ping_broker(state.settings.broker_url)
    return checks


async def _run(name: str, check: Callable[[], Awaitable[object]]) -> CheckResult:
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_SECONDS):
            await check()
    except Exception as exc:
        logger.warning("readiness check failed", extra={"check": name, "error": type(exc).__name__})
        return "unavailable"
    return "ok"


async def _ping_database(request: Request) -> None:
    async with request.app.state.engine.connect() as connection:
        await connection.execute(text("SELECT 1"))


async def _ping_broker(url: str) -> None:
    connection = await aio_pika.connect(url, timeout=CHECK_TIMEOUT_SECONDS)
    await connection.close()
