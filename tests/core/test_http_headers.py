import httpx
import pytest
from asgi_lifespan import LifespanManager

from storefront.app import create_app
from storefront.core.config import Settings

SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "content-security-policy": "frame-ancestors 'none'",
    "strict-transport-security": "max-age=31536000; includeSubDomains",
}


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/api/v1/categories", 200),
        ("GET", "/api/v1/nowhere", 404),
        ("PUT", "/api/v1/categories", 405),
        ("GET", "/health", 200),
    ],
)
async def test_every_response_carries_the_security_headers(
    client: httpx.AsyncClient, method: str, path: str, status: int
) -> None:
    response = await client.request(method, path)

    assert response.status_code == status
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert response.headers["x-request-id"]


async def test_responses_are_not_stored_unless_the_route_says_so(client: httpx.AsyncClient) -> None:
    assert (await client.get("/health")).headers["cache-control"] == "no-store"
    assert (await client.get("/api/v1/nowhere")).headers["cache-control"] == "no-store"


async def test_a_sane_request_id_is_echoed(client: httpx.AsyncClient) -> None:
    response = await client.get("/health", headers={"X-Request-ID": "req-42.a:b"})

    assert response.headers["x-request-id"] == "req-42.a:b"


@pytest.mark.parametrize("bad_id", ["has space", "x" * 129, "<script>", "é"])
async def test_an_insane_request_id_is_replaced(client: httpx.AsyncClient, bad_id: str) -> None:
    response = await client.get("/health", headers={b"X-Request-ID": bad_id.encode("utf-8")})

    assert response.headers["x-request-id"] != bad_id
    assert len(response.headers["x-request-id"]) == 32


async def test_request_ids_differ_between_requests(client: httpx.AsyncClient) -> None:
    first = await client.get("/health")
    second = await client.get("/health")

    assert first.headers["x-request-id"] != second.headers["x-request-id"]


async def test_hsts_can_be_turned_off(settings: Settings) -> None:
    app = create_app(settings.model_copy(update={"hsts_max_age": 0}))
    async with (
        LifespanManager(app) as manager,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(manager.app), base_url="http://t"
        ) as client,
    ):
        response = await client.get("/health")

    assert "strict-transport-security" not in response.headers
    assert response.headers["x-content-type-options"] == "nosniff"
