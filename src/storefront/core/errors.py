"""One error hierarchy: services raise these, one set of handlers renders the envelope."""

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, ClassVar, Self

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, Response

from storefront.core.openapi import allowed_methods
from storefront.core.schemas import ErrorResponse, FieldError


class AppError(Exception):
    status_code: ClassVar[int] = 500
    default_message: ClassVar[str] = "Internal server error."

    def __init__(
        self,
        message: str | None = None,
        *,
        errors: Sequence[FieldError] = (),
        headers: Mapping[str, str] | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        self.message = message or self.default_message
        self.errors = list(errors)
        self.headers = dict(headers or {})
        # More of the error body, beside message (a machine-readable code, the lines at fault).
        self.details = dict(details or {})
        self.commit_first = False
        super().__init__(self.message)

    def committing(self) -> Self:
        """Mark the error so that the unit of work commits what the transaction wrote before
        the error reaches the client (a failed login's count, a wrong code's attempt)."""
        self.commit_first = True
        return self


class InvalidInput(AppError):
    status_code = 400
    default_message = "Invalid input."


class Unauthorized(AppError):
    status_code = 401
    default_message = "Authentication required."

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message, headers={"WWW-Authenticate": "Bearer"})


class Forbidden(AppError):
    status_code = 403
    default_message = "You are not allowed to do this."


class NotFound(AppError):
    status_code = 404
    default_message = "Resource not found."


class Conflict(AppError):
    status_code = 409
    default_message = "This conflicts with the current state."


class Locked(AppError):
    status_code = 423
    default_message = "Account locked."


class TooManyRequests(AppError):
    status_code = 429
    default_message = "Too many requests. Try again later."

    def __init__(self, retry_after_seconds: int, message: str | None = None) -> None:
        super().__init__(message, headers={"Retry-After": str(max(1, retry_after_seconds))})


class ServiceUnavailable(AppError):
    """A service the request needs (the database) is unreachable or too slow right now."""

    status_code = 503
    default_message = "Service temporarily unavailable. Try again shortly."
    retry_after_seconds: ClassVar[int] = 5

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message, headers={"Retry-After": str(self.retry_after_seconds)})


class PayloadTooLarge(AppError):
    status_code = 413
    default_message = "Request body is too large."


class UnsupportedMediaType(AppError):
    status_code = 415
    default_message = "Request body must be JSON (Content-Type: application/json)."


STATUS_MESSAGES = {
    400: InvalidInput.default_message,
    401: Unauthorized.default_message,
    403: Forbidden.default_message,
    404: NotFound.default_message,
    405: "Method not allowed.",
    413: PayloadTooLarge.default_message,
    415: UnsupportedMediaType.default_message,
    500: AppError.default_message,
    503: ServiceUnavailable.default_message,
}

logger = logging.getLogger(__name__)

# SQLSTATE classes of a database that cannot serve now, whatever the statement: connection
# exception, insufficient resources (too many connections), operator intervention (shutting
# down, starting up, a statement cancelled by the statement timeout).
_UNAVAILABLE_SQLSTATE_CLASSES = frozenset({"08", "53", "57"})


def is_unavailable(exc: BaseException) -> bool:
    """Whether a driver error means "the database is unreachable or too slow", not "this
    statement is wrong". OSError covers refused, reset and timed-out connections (TimeoutError
    is one) and unresolvable hosts; a request does no other I/O that raises it."""
    if isinstance(exc, OSError | PoolTimeout):
        return True
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:
            return True
        exc = exc.orig if exc.orig is not None else exc
    sqlstate = getattr(exc, "sqlstate", None)
    return isinstance(sqlstate, str) and sqlstate[:2] in _UNAVAILABLE_SQLSTATE_CLASSES


def unavailable_error(exc: BaseException) -> ServiceUnavailable:
    """The 503 to answer for a driver error that is_unavailable, logged once (the error's type
    and SQLSTATE only: its text may quote a statement's parameters)."""
    logger.warning(
        "database unavailable",
        extra={
            "error": type(exc).__name__,
            "sqlstate": getattr(getattr(exc, "orig", exc), "sqlstate", None),
        },
    )
    return ServiceUnavailable()


def error_response(
    status_code: int,
    message: str,
    *,
    errors: Sequence[FieldError] = (),
    request_id: str | None = None,
    headers: Mapping[str, str] | None = None,
    details: Mapping[str, Any] | None = None,
) -> Response:
    body = ErrorResponse(message=message, errors=list(errors) or None, request_id=request_id)
    content = body.model_dump(exclude_none=True) | dict(details or {})
    return JSONResponse(content, status_code, headers=headers)


def render_app_error(error: AppError) -> Response:
    return error_response(
        error.status_code,
        error.message,
        errors=error.errors,
        headers=error.headers,
        details=error.details,
    )


def field_name(loc: Sequence[int | str]) -> str:
    """Name a field as the client sent it: ("body", "items", 0, "qty") -> "items[0].qty"."""
    parts = (
        list(loc[1:])
        if loc and loc[0] in {"body", "query", "path", "header", "cookie"}
        else list(loc)
    )
    name = ""
    for part in parts:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
    return name or str(loc[0] if loc else "body")


_MESSAGES_BY_TYPE = {
    "missing": "This field is required.",
    "extra_forbidden": "Unknown field.",
    "json_invalid": "Request body is not valid JSON.",
    "json_type": "Request body must be a JSON object.",
}


def field_errors(raw_errors: Sequence[Any]) -> list[FieldError]:
    """One entry per offending field, in the order the fields were reported."""
    by_field: dict[str, FieldError] = {}
    for error in raw_errors:
        loc = tuple(error.get("loc", ()))
        if error.get("type") == "json_invalid":
            loc = ("body",)
        name = field_name(loc)
        if name not in by_field:
            by_field[name] = FieldError(field=name, message=_message(error))
    return list(by_field.values())


def _message(error: Mapping[str, Any]) -> str:
    message = _MESSAGES_BY_TYPE.get(error.get("type", ""), str(error.get("msg", "Invalid value.")))
    message = message.removeprefix("Value error, ")
    message = message[:1].upper() + message[1:]
    return message if message.endswith(".") else message + "."


async def _app_error_handler(_: Request, exc: AppError) -> Response:
    return render_app_error(exc)


async def _validation_error_handler(_: Request, exc: RequestValidationError) -> Response:
    return error_response(400, InvalidInput.default_message, errors=field_errors(exc.errors()))


async def _unavailable_handler(_: Request, exc: Exception) -> Response:
    """Driver errors: a 503 when the database cannot serve; anything else goes on to the
    last-resort 500 (core/http/request_context.py)."""
    if not is_unavailable(exc):
        raise exc
    return render_app_error(unavailable_error(exc))


async def _http_error_handler(request: Request, exc: StarletteHTTPException) -> Response:
    message = STATUS_MESSAGES.get(exc.status_code) or str(exc.detail)
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        methods = allowed_methods(request.app, request.url.path)
        if methods:
            headers["Allow"] = ", ".join(methods)
    return error_response(exc.status_code, message, headers=headers)


EXCEPTION_HANDLERS: dict[int | type[Exception], Callable[[Request, Any], Awaitable[Response]]] = {
    AppError: _app_error_handler,
    RequestValidationError: _validation_error_handler,
    StarletteHTTPException: _http_error_handler,
    DBAPIError: _unavailable_handler,
    PoolTimeout: _unavailable_handler,
    OSError: _unavailable_handler,
}
