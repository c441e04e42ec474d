"""Real-service fixtures: a PostgreSQL database built by the migrations, the app with its
lifespan, an HTTP client on it, and Redis and RabbitMQ when configured."""

import asyncio
import os
import secrets
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy import make_url, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storefront.app import create_app
from storefront.core.config import Environment, Settings
from storefront.core.database import create_engine, create_sessionmaker, execute_outside_transaction
from storefront.core.embedded_db import start_embedded_postgres
from storefront.core.migrations import migrate
from storefront.models import metadata
from tests.processes import left_behind
from tests.services import required_service_url
from tests.smtp_sink import smtp_sink

__all__ = ["smtp_sink"]  # a fixture for every test module

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session", autouse=True)
def _no_process_left_behind() -> Iterator[None]:
    """Fails the run when a process a test started (a server's worker, say) outlives it."""
    yield
    if running := left_behind():
        pytest.fail("processes started by the tests still run:\n" + "\n".join(running))


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    """A fresh database for this run: on STOREFRONT_TEST_DATABASE_URL's server, else embedded."""
    name = f"storefront_test_{secrets.token_hex(4)}"
    server_url = os.environ.get("STOREFRONT_TEST_DATABASE_URL")
    if server_url:
        admin_url = make_url(server_url).set(drivername="postgresql+asyncpg")
        asyncio.run(
            execute_outside_transaction(
                admin_url.render_as_string(False), f'CREATE DATABASE "{name}"'
            )
        )
        url = admin_url.set(database=name).render_as_string(hide_password=False)
    else:
        url = start_embedded_postgres(REPO_ROOT / ".data" / "test", database=name)
        admin_url = make_url(url).set(database="postgres")
    migrate(url)
    yield url
    drop = f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
    asyncio.run(execute_outside_transaction(admin_url.render_as_string(hide_password=False), drop))


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url, pool_size=2)
    yield engine
    await engine.dispose()


@pytest.fixture(autouse=True)
async def _isolated_database(engine: AsyncEngine) -> AsyncIterator[None]:
    """Each test starts from empty tables (truncation, so tests may use real concurrent
    transactions, which a rolled-back outer transaction would not allow)."""
    yield
    tables = ", ".join(f'"{table.name}"' for table in metadata.sorted_tables)
    # A transaction the test's app was still finishing as it shut down can deadlock with the
    # truncation; PostgreSQL then aborts one side, and trying again succeeds.
    for attempt in range(3):
        try:
            async with engine.begin() as connection:
                await connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
            return
        except DBAPIError:
            if attempt == 2:
                raise
            await asyncio.sleep(0.2)


@pytest.fixture
def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return create_sessionmaker(engine)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        env=Environment.TEST,
        database_url=database_url,
        data_dir=tmp_path,
        redis_url=None,
        broker_url=None,
    )


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    return create_app(settings)


@asynccontextmanager
async def serving(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """The app started (its lifespan run) and a client that calls it in this process."""
    async with (
        LifespanManager(app, startup_timeout=30, shutdown_timeout=30) as manager,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(manager.app), base_url="http://testserver"
        ) as client,
    ):
        yield client


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with serving(app) as client:
        yield client


@pytest.fixture
def redis_url() -> str:
    return required_service_url("STOREFRONT_TEST_REDIS_URL", "Redis")


@pytest.fixture
def broker_url() -> str:
    return required_service_url("STOREFRONT_TEST_BROKER_URL", "RabbitMQ")
