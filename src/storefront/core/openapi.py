"""The OpenAPI document as clients see the API: invalid input is a 400 in our envelope (declared
app-wide), so FastAPI's generated 422 entries are taken out."""

from typing import Any

from fastapi import FastAPI
from starlette.routing import compile_path

from storefront.core.schemas import ErrorResponse


def without_422(app: FastAPI) -> None:
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = generate()
            for path in schema.get("paths", {}).values():
                for operation in path.values():
                    operation.get("responses", {}).pop("422", None)
            components = schema.get("components", {}).get("schemas", {})
            for unused in ("HTTPValidationError", "ValidationError"):
                components.pop(unused, None)
        return app.openapi_schema or {}

    app.openapi = openapi  # type: ignore[method-assign]


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


def documented(*errors: tuple[int, str]) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route: the error codes it can answer, each with the error envelope."""
    return {code: {"model": ErrorResponse, "description": text} for code, text in errors}


UNAUTHORIZED = (401, "Missing, invalid or expired token.")
RATE_LIMITED = (429, "Too many attempts; see Retry-After.")
