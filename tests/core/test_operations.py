"""/health, /ready, /metrics, the OpenAPI document and the offline docs page."""

import re

import httpx
from asgi_lifespan import LifespanManager

from storefront.app import create_app
from storefront.core.config import Settings

UNUSED_PORT_URL = "redis://127.0.0.1:1/0"


async def _get(settings: Settings, path: str) -> httpx.Response:
    app = create_app(settings)
    async with (
        LifespanManager(app) as manager,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(manager.app), base_url="http://t"
        ) as client,
    ):
        return await client.get(path)


async def test_health_answers_while_the_process_is_up(client: httpx.AsyncClient) -> None:
    response = await client.get("/health")

    assert response.status_code == 200
    assert response.json() == {"status": "success"}


async def test_ready_checks_the_database(client: httpx.AsyncClient) -> None:
    response = await client.get("/ready")

    assert response.status_code == 200
    assert response.json() == {"status": "success", "checks": {"database": "ok"}}


async def test_ready_checks_redis_and_the_broker_when_configured(
    settings: Settings, redis_url: str, broker_url: str
) -> None:
    configured = settings.model_copy(update={"redis_url": redis_url, "broker_url": broker_url})

    response = await _get(configured, "/ready")

    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "redis": "ok", "broker": "ok"}


async def test_ready_is_503_when_a_configured_service_is_down(settings: Settings) -> None:
    broken = settings.model_copy(
        update={"redis_url": UNUSED_PORT_URL, "broker_url": "amqp://guest:guest@127.0.0.1:1/"}
    )

    response = await _get(broken, "/ready")

    assert response.status_code == 503
    assert response.json() == {
        "status": "error",
        "checks": {"database": "ok", "redis": "unavailable", "broker": "unavailable"},
    }


def _sample(metrics_text: str, sample: str) -> float:
    """A sample's value (0 when absent: the counters live as long as the test process)."""
    for line in metrics_text.splitlines():
        if line.startswith(sample + " "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


async def test_metrics_count_requests_by_route_template(client: httpx.AsyncClient) -> None:
    counted = 'storefront_http_requests_total{method="GET",route="/api/v1/categories",status="200"}'
    before = _sample((await client.get("/metrics")).text, counted)
    await client.get("/api/v1/categories")
    await client.get("/api/v1/categories")  # the second from the catalog cache
    await client.get("/api/v1/categories/C999")  # 404 from the catalog front
    await client.get("/api/v1/not-a-route/12345")
    await client.request("BREW", "/api/v1/categories")

    response = await client.get("/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert _sample(text, counted) == before + 2
    assert 'route="/api/v1/categories/{category_id}",status="404"' in text
    assert 'method="OTHER",route="/api/v1/categories",status="405"' in text
    assert "BREW" not in text
    assert 'route="(unmatched)",status="404"' in text
    assert "12345" not in text
    assert "storefront_http_request_duration_seconds_bucket" in text


async def test_openapi_document_is_served_under_the_api_prefix(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/openapi.json")

    assert response.status_code == 200
    document = response.json()
    assert "/api/v1/categories" in document["paths"]
    assert "400" in document["paths"]["/api/v1/categories"]["get"]["responses"]


async def test_docs_load_every_asset_from_this_server(client: httpx.AsyncClient) -> None:
    page = await client.get("/docs")

    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    external = re.findall(r"""(?:src|href)=["'](https?:)?//""", page.text)
    assert external == []
    assets = re.findall(r"""(?:src|href)=["'](/docs/assets/[^"']+)""", page.text)
    assert len(assets) >= 2
    for asset in assets:
        assert (await client.get(asset)).status_code == 200


async def test_openapi_documents_400_and_never_422(client: httpx.AsyncClient) -> None:
    document = (await client.get("/api/v1/openapi.json")).json()

    register = document["paths"]["/api/v1/auth/register"]["post"]["responses"]
    assert "400" in register
    # The one 422 of this API: an Idempotency-Key reused with another body (README).
    with_422 = {
        op["operationId"]
        for path in document["paths"].values()
        for op in path.values()
        if "422" in op["responses"]
    }
    assert with_422 == {"create_order", "start_payment"}
    assert "HTTPValidationError" not in document["components"]["schemas"]
