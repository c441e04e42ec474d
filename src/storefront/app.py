"""create_app(): the HTTP API with its routers, middleware, error handlers and lifespan."""

import asyncio
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import FastAPI
from fastapi_offline import FastAPIOffline
from redis.asyncio import Redis
from starlette.middleware import Middleware

from storefront.auth.context import build_auth_context
from storefront.auth.router import router as auth_router
from storefront.cart.router import router as cart_router
from storefront.catalog.cache import CACHE_RESOURCE, build_catalog_cache
from storefront.catalog.front import CatalogFront
from storefront.catalog.router import router as catalog_router
from storefront.core import health
from storefront.core.config import Settings, load_settings
from storefront.core.database import create_engine, create_sessionmaker, resolve_database_url
from storefront.core.errors import EXCEPTION_HANDLERS
from storefront.core.events.runtime import EventContext, api_event_runtime
from storefront.core.http import API_PREFIX
from storefront.core.http.body_guard import BodyGuardMiddleware
from storefront.core.http.cors import cors_middleware
from storefront.core.http.proxies import trusted_proxy_middleware
from storefront.core.http.request_context import RequestContextMiddleware
from storefront.core.http.security_headers import SecurityHeadersMiddleware
from storefront.core.logging import configure_logging
from storefront.core.openapi import document_as_served, operation_id
from storefront.core.reads import PoolReader, open_pool
from storefront.core.schemas import ErrorResponse
from storefront.orders.admin_router import router as orders_admin_router
from storefront.orders.router import router as orders_router
from storefront.payments.context import build_payments_context
from storefront.payments.router import router as payments_router
from storefront.tasks import build_registry, periodic_jobs
from storefront.users.router import router as users_router

_ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    code: {"model": ErrorResponse, "description": description}
    for code, description in (
        (400, "Invalid input: one entry per offending field under `errors`."),
        (413, "Request body too large."),
        (415, "Request body is not JSON."),
        (500, "Unexpected error; the body carries the request id."),
        (503, "The database is unreachable or too slow; try again after `Retry-After` seconds."),
    )
}


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    database_url = await anyio.to_thread.run_sync(resolve_database_url, settings)
    wake_outbox = asyncio.Event()
    timeouts = {
        "connect_timeout": settings.db_connect_timeout,
        "statement_timeout": settings.db_statement_timeout,
    }
    app.state.engine = create_engine(database_url, pool_size=settings.db_pool_size, **timeouts)
    read_pool = await open_pool(database_url, settings.db_read_pool_size, **timeouts)
    # As on the engine: wait for a pooled connection at most one statement timeout.
    app.state.reader = PoolReader(read_pool, acquire_timeout=settings.db_statement_timeout)
    app.state.redis = Redis.from_url(settings.redis_url) if settings.redis_url else None
    app.state.catalog_cache = build_catalog_cache(app.state.redis)
    app.state.sessions = create_sessionmaker(
        app.state.engine,
        on_outbox_commit=wake_outbox.set,
        resources={CACHE_RESOURCE: app.state.catalog_cache},
    )
    app.state.auth = build_auth_context(settings)
    app.state.payments = build_payments_context(settings, app.state.sessions)
    registry = build_registry(settings, app.state.payments)
    events = EventContext(
        settings,
        app.state.sessions,
        wake_outbox,
        registry,
        periodic_jobs(settings, app.state.payments),
    )
    try:
        async with api_event_runtime(events):
            # Everything built so far lives as long as the process: keep it out of the
            # collector's full passes (over this heap one pass took 50-75 ms, a stall of
            # every request in flight).
            gc.freeze()
            yield
    finally:
        await registry.aclose()
        await app.state.auth.limiter.aclose()
        await app.state.catalog_cache.aclose()
        if app.state.redis is not None:
            await app.state.redis.aclose()
        await read_pool.close()
        await app.state.engine.dispose()


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or load_settings()
    app = FastAPIOffline(
        title="Storefront API",
        version="1.0.0",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url="/docs",
        redoc_url=None,
        static_url="/docs/assets",
        lifespan=_lifespan,
        # Metrics are Prometheus's and logs our own: FastAPI's OpenTelemetry hooks stay off (they
        # would also look up the OpenTelemetry providers on every request).
        telemetry={"tracing": False, "metrics": False, "logs": False},
        exception_handlers=EXCEPTION_HANDLERS,
        responses=_ERROR_RESPONSES,
        generate_unique_id_function=operation_id,
        middleware=[
            # First, so that logs, metrics and rate limits all see the client a proxy saw.
            *trusted_proxy_middleware(settings.trusted_proxies),
            Middleware(RequestContextMiddleware),
            Middleware(SecurityHeadersMiddleware, hsts_max_age=settings.hsts_max_age),
            # Inside those two, so that preflight answers carry the request id and headers too.
            *cors_middleware(settings.cors_origins),
            Middleware(BodyGuardMiddleware, max_body_bytes=settings.max_body_bytes),
            Middleware(CatalogFront),
        ],
    )
    app.state.settings = settings
    document_as_served(app)
    # The catalog first: its public reads are the hottest routes, and routing tries in order.
    app.include_router(catalog_router)
    app.include_router(auth_router)
    app.include_router(users_router)
    app.include_router(cart_router)
    app.include_router(orders_router)
    app.include_router(orders_admin_router)
    app.include_router(payments_router)
    app.include_router(health.router)
    return app


def serve_app() -> FastAPI:
    """The factory the server (granian) calls in each worker process."""
    settings = load_settings()
    configure_logging(settings.log_level)
    return create_app(settings)
