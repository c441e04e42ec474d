"""Browsers on other origins: only the origins in STOREFRONT_CORS_ORIGINS, none by default."""

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from storefront.app import create_app
from storefront.core.config import ConfigurationError, Settings, load_settings
from tests.conftest import serving

SHOP = "https://shop.example.com"
ELSEWHERE = "https://evil.example.net"
PREFLIGHT = {
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "authorization, content-type, idempotency-key, x-cart-token",
}


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    return create_app(settings.model_copy(update={"cors_origins": [SHOP, "http://localhost:5173"]}))


@pytest.fixture
async def closed_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The app as configured by default."""
    async with serving(create_app(settings)) as client:
        yield client


def cors_headers(response: httpx.Response) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k.startswith("access-control-")}


async def test_an_allowed_origins_preflight_is_answered(client: httpx.AsyncClient) -> None:
    response = await client.options("/api/v1/orders", headers={"Origin": SHOP, **PREFLIGHT})

    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == SHOP
    assert "POST" in response.headers["access-control-allow-methods"]
    allowed = response.headers["access-control-allow-headers"].lower().split(", ")
    assert {"authorization", "content-type", "idempotency-key", "x-cart-token"} <= set(allowed)
    assert "access-control-allow-credentials" not in response.headers  # bearer tokens only
    assert response.headers["x-request-id"]


async def test_an_allowed_origin_reads_the_response_and_its_headers(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/api/v1/categories", headers={"Origin": SHOP})

    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == SHOP
    exposed = response.headers["access-control-expose-headers"].lower().split(", ")
    assert {"etag", "retry-after", "idempotent-replayed", "x-request-id"} <= set(exposed)
    assert "Origin" in response.headers["vary"]


async def test_another_origin_gets_no_allow_origin(client: httpx.AsyncClient) -> None:
    preflight = await client.options("/api/v1/orders", headers={"Origin": ELSEWHERE, **PREFLIGHT})
    read = await client.get("/api/v1/categories", headers={"Origin": ELSEWHERE})

    assert "access-control-allow-origin" not in preflight.headers
    assert preflight.status_code == 400
    assert read.status_code == 200
    assert "access-control-allow-origin" not in read.headers


async def test_by_default_no_origin_is_allowed_and_no_cors_header_is_sent(
    closed_client: httpx.AsyncClient,
) -> None:
    preflight = await closed_client.options("/api/v1/orders", headers={"Origin": SHOP, **PREFLIGHT})
    read = await closed_client.get("/api/v1/categories", headers={"Origin": SHOP})

    assert preflight.status_code == 405
    assert cors_headers(preflight) == {}
    assert read.status_code == 200
    assert cors_headers(read) == {}


def test_origins_are_read_comma_separated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STOREFRONT_CORS_ORIGINS", "https://Shop.Example.com, http://localhost:5173")

    assert load_settings().cors_origins == [SHOP, "http://localhost:5173"]


@pytest.mark.parametrize(
    "origin", ["*", "https://shop.example.com/", "shop.example.com", "ftp://x"]
)
def test_anything_but_an_origin_is_refused(monkeypatch: pytest.MonkeyPatch, origin: str) -> None:
    monkeypatch.setenv("STOREFRONT_CORS_ORIGINS", f"{SHOP},{origin}")

    with pytest.raises(ConfigurationError) as error:
        load_settings()

    assert "STOREFRONT_CORS_ORIGINS" in str(error.value)
    assert "scheme://host[:port]" in str(error.value)
