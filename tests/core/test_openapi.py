"""The OpenAPI document states what the API does: operation ids a client's methods can take,
one tag each, the errors and 304s routes give, and the real limits of request strings."""

import re
from typing import Annotated, Any

import pytest
from fastapi import FastAPI
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from storefront.app import create_app
from storefront.auth.contact import normalize_username
from storefront.auth.schemas import USERNAME_PATTERN
from storefront.core.config import Settings
from storefront.core.schemas import StrippedText, stripped_pattern

Document = dict[str, Any]
CATALOG_READS = [
    "/api/v1/categories",
    "/api/v1/categories/{category_id}",
    "/api/v1/products",
    "/api/v1/products/suggest",
    "/api/v1/products/{product_id}",
]


@pytest.fixture
def document(app: FastAPI) -> Document:
    return app.openapi()


def _operations(document: Document) -> dict[str, Document]:
    return {
        f"{method.upper()} {path}": operation
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
    }


def _schema(document: Document, schema: Document) -> Document:
    ref = schema.get("$ref", "")
    return (
        _schema(document, document["components"]["schemas"][ref.split("/")[-1]]) if ref else schema
    )


def _body_property(document: Document, path: str, method: str, name: str) -> Document:
    body = document["paths"][path][method]["requestBody"]["content"]["application/json"]
    return _schema(document, _schema(document, body["schema"])["properties"][name])


def test_operation_ids_are_the_route_names_and_unique(document: Document) -> None:
    ids = [operation["operationId"] for operation in _operations(document).values()]

    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[a-z]+(_[a-z0-9]+)*", id_) for id_ in ids), ids
    operations = _operations(document)
    assert operations["GET /api/v1/products"]["operationId"] == "list_products"
    assert operations["GET /api/v1/orders"]["operationId"] == "list_orders"
    assert operations["GET /api/v1/admin/orders"]["operationId"] == "admin_list_orders"
    assert operations["POST /api/v1/admin/products"]["operationId"] == "admin_create_product"


def test_each_operation_has_exactly_one_tag(document: Document) -> None:
    tags = {label: operation.get("tags") for label, operation in _operations(document).items()}

    assert {label: t for label, t in tags.items() if t is None or len(t) != 1} == {}
    assert tags["GET /api/v1/products"] == ["catalog"]
    assert tags["POST /api/v1/products/{product_id}/reviews"] == ["reviews"]
    assert tags["POST /api/v1/admin/payments/{payment_id}/refunds"] == ["payments admin"]


@pytest.mark.parametrize("path", CATALOG_READS)
def test_catalog_reads_declare_their_etag_and_304(document: Document, path: str) -> None:
    read = document["paths"][path]["get"]

    assert "304" in read["responses"]
    assert "ETag" in read["responses"]["304"]["headers"]
    assert "ETag" in read["responses"]["200"]["headers"]
    assert "If-None-Match" in [parameter["name"] for parameter in read["parameters"]]


def test_errors_are_declared_with_the_error_envelope(document: Document) -> None:
    operations = _operations(document)
    for label, operation in operations.items():
        for code, response in operation["responses"].items():
            if code in {"401", "403", "404", "409", "423", "429"}:
                body = _schema(document, response["content"]["application/json"]["schema"])
                assert body["properties"]["status"]["const"] == "error", (label, code)
                assert "message" in body["required"], (label, code)

    assert "401" in operations["GET /api/v1/users/me"]["responses"]
    assert "404" in operations["GET /api/v1/products/{product_id}"]["responses"]
    assert "403" in operations["POST /api/v1/admin/products"]["responses"]
    assert "423" in operations["POST /api/v1/auth/login"]["responses"]
    assert "422" in operations["POST /api/v1/orders"]["responses"]  # a reused Idempotency-Key


def test_every_route_behind_a_token_declares_401(document: Document) -> None:
    missing = [
        label
        for label, operation in _operations(document).items()
        if {"HTTPBearer": []} in operation.get("security", [])
        and "401" not in operation["responses"]
    ]

    assert missing == []


def test_registration_states_the_username_and_password_rules(document: Document) -> None:
    username = _body_property(document, "/api/v1/auth/register", "post", "username")
    password = _body_property(document, "/api/v1/auth/register", "post", "password")

    assert (username["minLength"], username["maxLength"]) == (6, 20)
    assert username["pattern"] == USERNAME_PATTERN
    assert (password["minLength"], password["maxLength"]) == (8, 128)


def test_no_request_string_is_left_without_limits(document: Document) -> None:
    """Every string a client sends has a length limit or a pattern (NUL is never accepted)."""
    unbounded = []

    def visit(schema: Document, where: str) -> None:
        schema = _schema(document, schema)
        if schema.get("type") == "string" and not {"pattern", "format", "enum", "const"} & set(
            schema
        ):
            unbounded.append(where)
        for key in ("anyOf", "oneOf", "allOf"):
            for branch in schema.get(key, []):
                visit(branch, where)
        for name, value in schema.get("properties", {}).items():
            visit(value, f"{where}.{name}")
        if "items" in schema:
            visit(schema["items"], f"{where}[]")

    for label, operation in _operations(document).items():
        for parameter in operation.get("parameters", []):
            if parameter["in"] in {"query", "path"}:
                visit(parameter["schema"], f"{label} {parameter['name']}")
        if "requestBody" in operation:
            visit(operation["requestBody"]["content"]["application/json"]["schema"], label)

    assert unbounded == []


def test_partial_updates_do_not_offer_null_for_kept_fields(document: Document) -> None:
    label = _body_property(document, "/api/v1/users/me/addresses/{address_id}", "patch", "label")
    line2 = _body_property(document, "/api/v1/users/me/addresses/{address_id}", "patch", "line2")

    assert "null" not in str(label)
    assert "default" not in label
    assert {"type": "null"} in line2["anyOf"]  # line2 is cleared with null


def test_idempotency_key_is_a_required_header(document: Document) -> None:
    for path in ("/api/v1/orders", "/api/v1/orders/{order_id}/payments"):
        (key,) = [p for p in document["paths"][path]["post"]["parameters"] if p["in"] == "header"]
        assert key["name"] == "Idempotency-Key"
        assert key["required"] is True
        assert re.fullmatch(key["schema"]["pattern"], "k" * 16)
        assert not re.fullmatch(key["schema"]["pattern"], "k" * 15)


def test_cart_quantity_maximum_is_the_configured_one(settings: Settings) -> None:
    app = create_app(settings.model_copy(update={"cart_max_line_quantity": 7}))
    quantity = _body_property(app.openapi(), "/api/v1/cart/items", "post", "quantity")

    assert (quantity["minimum"], quantity["maximum"]) == (1, 7)


def _registration_accepts(username: str) -> bool:
    try:
        normalize_username(username)
    except ValueError:
        return False
    return True


@given(st.from_regex(r"[A-Za-z0-9_.dDeElLtT -]{0,24}", fullmatch=True) | st.text(max_size=24))
def test_the_username_pattern_is_what_registration_accepts(username: str) -> None:
    documented = 6 <= len(username) <= 20 and re.fullmatch(USERNAME_PATTERN, username) is not None

    assert documented == _registration_accepts(username)


_SPACES = " \t\n\x0b\x0c\r\x1c\x1f\x85\xa0\u2000\u3000\ufeff\u200b"
_STRIPPED = TypeAdapter(Annotated[str, StrippedText(min_length=1, max_length=3)])


@given(st.text(alphabet=st.sampled_from([*_SPACES, "a", "\x00"]), max_size=7))
def test_the_stripped_text_pattern_is_what_validation_accepts(value: str) -> None:
    try:
        _STRIPPED.validate_python(value)
        accepted = "\x00" not in value  # the request schema refuses NUL before this
    except ValidationError:
        accepted = False

    assert accepted == (re.fullmatch(stripped_pattern(1, 3), value) is not None)
