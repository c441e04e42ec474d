"""The error envelope for every way a request can go wrong, exercised through a probe router
mounted on the real app (the machinery is app-wide; module endpoints rely on it)."""

import json
import logging
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from pydantic import Field
from sqlalchemy import text

from storefront.core.database import SessionDep
from storefront.core.errors import NotFound
from storefront.core.http import API_PREFIX
from storefront.core.schemas import RequestSchema


class ProbeItem(RequestSchema):
    sku: str
    quantity: int = Field(ge=1, le=100)


class ProbeOrder(RequestSchema):
    note: str = Field(max_length=10)
    items: list[ProbeItem]


probe = APIRouter(prefix=API_PREFIX)


@probe.post("/probe/orders/{order_no}", status_code=201)
async def create_probe_order(order_no: int, order: ProbeOrder) -> dict[str, object]:
    return {"status": "success", "order_no": order_no, "items": len(order.items)}


@probe.get("/probe/missing")
async def missing() -> None:
    raise NotFound("Order not found.")


@probe.get("/probe/crash")
async def crash() -> None:
    raise RuntimeError("secret internals: password=hunter2")


@probe.get("/probe/bad-statement")
async def bad_statement(session: SessionDep) -> None:
    await session.execute(text("SELECT 1 / 0"))


@pytest.fixture
def app(app: FastAPI) -> FastAPI:
    app.include_router(probe)
    return app


VALID = {"note": "hi", "items": [{"sku": "A1", "quantity": 2}]}
URL = "/api/v1/probe/orders/7"


async def test_valid_body_passes(client: httpx.AsyncClient) -> None:
    response = await client.post(URL, json=VALID)

    assert response.status_code == 201
    assert response.json() == {"status": "success", "order_no": 7, "items": 1}


async def test_malformed_json_is_400_on_the_body(client: httpx.AsyncClient) -> None:
    response = await client.post(
        URL, content=b'{"note": "hi",', headers={"content-type": "application/json"}
    )

    assert response.status_code == 400
    assert response.json() == {
        "status": "error",
        "message": "Invalid input.",
        "errors": [{"field": "body", "message": "Request body is not valid JSON."}],
    }


async def test_every_offending_field_is_reported_once_named_as_sent(
    client: httpx.AsyncClient,
) -> None:
    body = {"note": "far too long a note", "items": [{"sku": "A1", "quantity": "many"}]}

    response = await client.post(URL, json=body)

    assert response.status_code == 400
    errors = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert set(errors) == {"note", "items[0].quantity"}
    assert "integer" in errors["items[0].quantity"]
    assert "10 characters" in errors["note"]


async def test_missing_field_and_out_of_range_value(client: httpx.AsyncClient) -> None:
    body = {"items": [{"sku": "A1", "quantity": 0}]}

    response = await client.post(URL, json=body)

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "note", "message": "This field is required."},
        {"field": "items[0].quantity", "message": "Input should be greater than or equal to 1."},
    ]


async def test_unknown_fields_are_refused_not_ignored(client: httpx.AsyncClient) -> None:
    response = await client.post(URL, json={**VALID, "total": "0.01"})

    assert response.status_code == 400
    assert response.json()["errors"] == [{"field": "total", "message": "Unknown field."}]


async def test_wrong_type_in_the_path_is_400(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/probe/orders/seven", json=VALID)

    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["order_no"]


async def test_a_json_array_instead_of_an_object_is_400(client: httpx.AsyncClient) -> None:
    response = await client.post(URL, json=[1, 2])

    assert response.status_code == 400
    assert response.json()["status"] == "error"


async def test_non_json_body_is_415(client: httpx.AsyncClient) -> None:
    response = await client.post(
        URL, content=json.dumps(VALID), headers={"content-type": "text/plain"}
    )

    assert response.status_code == 415
    assert response.json() == {
        "status": "error",
        "message": "Request body must be JSON (Content-Type: application/json).",
    }


async def test_body_over_the_limit_is_413(client: httpx.AsyncClient) -> None:
    huge = {"note": "x" * (1024 * 1024), "items": []}

    response = await client.post(URL, json=huge)

    assert response.status_code == 413
    assert response.json() == {"status": "error", "message": "Request body is too large."}


async def test_chunked_body_over_the_limit_is_413(client: httpx.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(20):
            yield b" " * 65_536

    response = await client.post(
        URL, content=chunks(), headers={"content-type": "application/json"}
    )

    assert response.status_code == 413


async def test_chunked_body_within_the_limit_is_served(client: httpx.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield json.dumps(VALID).encode()

    response = await client.post(
        URL, content=chunks(), headers={"content-type": "application/json"}
    )

    assert response.status_code == 201


async def test_unknown_route_is_404_in_the_envelope(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/no-such-thing")

    assert response.status_code == 404
    assert response.json() == {"status": "error", "message": "Resource not found."}


async def test_wrong_method_is_405_in_the_envelope(client: httpx.AsyncClient) -> None:
    response = await client.delete("/api/v1/categories")

    assert response.status_code == 405
    assert response.json() == {"status": "error", "message": "Method not allowed."}
    assert response.headers["allow"] == "GET"


async def test_app_errors_carry_their_own_message(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/probe/missing")

    assert response.status_code == 404
    assert response.json() == {"status": "error", "message": "Order not found."}


async def test_unhandled_error_is_a_generic_500_with_the_request_id(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR):
        response = await client.get("/api/v1/probe/crash", headers={"X-Request-ID": "abc-1"})

    assert response.status_code == 500
    assert response.json() == {
        "status": "error",
        "message": "Internal server error.",
        "request_id": "abc-1",
    }
    assert response.headers["x-request-id"] == "abc-1"
    assert "hunter2" not in response.text
    logged = [r for r in caplog.records if r.exc_info]
    assert len(logged) == 1
    assert "RuntimeError" in caplog.text
    assert getattr(logged[0], "request_id", None) == "abc-1"


async def test_a_failed_statement_on_a_working_database_is_a_500_not_a_503(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/api/v1/probe/bad-statement", headers={"X-Request-ID": "abc-2"})

    assert response.status_code == 500
    assert response.json() == {
        "status": "error",
        "message": "Internal server error.",
        "request_id": "abc-2",
    }
    assert "retry-after" not in response.headers


async def test_405_lists_every_method_the_path_serves(client: httpx.AsyncClient) -> None:
    response = await client.put("/api/v1/users/me")

    assert response.status_code == 405
    assert response.headers["allow"] == "DELETE, GET, PATCH"


async def test_nul_characters_are_400_not_a_database_error(client: httpx.AsyncClient) -> None:
    in_body = await client.post(URL, json={**VALID, "note": "a\x00b"})
    in_list = await client.post(URL, json={**VALID, "items": [{"sku": "A\x00", "quantity": 1}]})
    in_query = await client.get("/api/v1/categories?parent_id=C1%00")
    in_path = await client.get("/api/v1/categories/C1%00")

    assert in_body.status_code == 400
    assert in_body.json()["errors"] == [
        {"field": "note", "message": "Text must not contain NUL characters."}
    ]
    assert in_list.status_code == 400
    assert (in_query.status_code, in_path.status_code) == (400, 400)
