"""The OpenAPI document as clients see the API: invalid input is a 400 in our envelope (declared
app-wide), so FastAPI's generated 422 entries are taken out; operation ids are the route
functions' names, as a generated client's methods; each route declares the errors it can give."""

from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.routing import compile_path

from storefront.core.schemas import ErrorResponse

# A schema keyword naming the setting that is the value's maximum (a cart line's quantity):
# the document states the configured number.
MAXIMUM_SETTING = "x-maximum-setting"


def document_as_served(app: FastAPI) -> None:
    """The app's OpenAPI document without FastAPI's generated 422s (invalid input is our 400)
    and with the limits that settings decide filled in (MAXIMUM_SETTING)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = generate()
            for path in schema.get("paths", {}).values():
                for operation in path.values():
                    responses = operation.get("responses", {})
                    if _is_fastapis_422(responses.get("422")):
                        del responses["422"]
            components = schema.get("components", {}).get("schemas", {})
            for unused in ("HTTPValidationError", "ValidationError"):
                components.pop(unused, None)
            _fill_in_settings(components, app.state.settings)
        return app.openapi_schema or {}

    app.openapi = openapi  # type: ignore[method-assign]


def _is_fastapis_422(response: dict[str, Any] | None) -> bool:
    """FastAPI's validation error, not a 422 a route declares (a reused Idempotency-Key)."""
    if response is None:
        return False
    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
    return bool(schema.get("$ref", "").endswith("/HTTPValidationError"))


def _fill_in_settings(node: object, settings: object) -> None:
    if isinstance(node, dict):
        if MAXIMUM_SETTING in node:
            node["maximum"] = getattr(settings, node.pop(MAXIMUM_SETTING))
        for value in node.values():
            _fill_in_settings(value, settings)
    elif isinstance(node, list):
        for value in node:
            _fill_in_settings(value, settings)


def allowed_methods(app: FastAPI, path: str) -> list[str]:
    """Every method the API serves at `path`, from the OpenAPI document: a 405's Allow header
    must list them all, while the router only knows the one route it matched first."""
    templates = getattr(app.state, "path_methods", None)
    if templates is None:
        templates = [
            (compile_path(template)[0], {method.upper() for method in operations})
            for template, operations in app.openapi().get("paths", {}).items()
        ]
        app.state.path_methods = templates
    methods: set[str] = set()
    for pattern, served in templates:
        if pattern.match(path):
            methods |= served
    return sorted(methods)


def operation_id(route: APIRoute) -> str:
    """`list_products`, not FastAPI's `list_products_api_v1_products_get`."""
    return route.name


def admin_operation_id(route: APIRoute) -> str:
    """Administrators' routes: `admin_list_orders` beside the customer's `list_orders`."""
    return f"admin_{route.name}"


def documented(*errors: tuple[int, str]) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route: the error codes it can answer, each with the error envelope."""
    return {code: {"model": ErrorResponse, "description": text} for code, text in errors}


UNAUTHORIZED = (401, "Missing, invalid or expired token.")
FORBIDDEN = (403, "Not an administrator.")
RATE_LIMITED = (429, "Too many attempts; see Retry-After.")
