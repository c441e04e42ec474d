"""Refuses what no route could serve: NUL characters in the URL (400), bodies that are too
large (413) or not JSON on a JSON route (415)."""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from storefront.core.errors import (
    InvalidInput,
    PayloadTooLarge,
    UnsupportedMediaType,
    render_app_error,
)
from storefront.core.schemas import NUL_MESSAGE, FieldError

_JSON_ROUTES_PREFIX = "/api/"


class BodyGuardMiddleware:
    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if b"%00" in scope.get("query_string", b"") or "\x00" in scope["path"]:
            error = InvalidInput(errors=[FieldError(field="url", message=NUL_MESSAGE)])
            await render_app_error(error)(scope, receive, send)
            return
        headers = dict(scope["headers"])
        length = headers.get(b"content-length")
        chunked = b"chunked" in headers.get(b"transfer-encoding", b"").lower()
        if length is not None and (not length.isdigit() or int(length) > self.max_body_bytes):
            await render_app_error(PayloadTooLarge())(scope, receive, send)
            return
        has_body = chunked or (length is not None and int(length) > 0)
        if has_body and scope["path"].startswith(_JSON_ROUTES_PREFIX) and not _is_json(headers):
            await render_app_error(UnsupportedMediaType())(scope, receive, send)
            return
        if chunked:
            body = await self._read_bounded(receive)
            if body is None:
                await render_app_error(PayloadTooLarge())(scope, receive, send)
                return
            receive = _replay(body, receive)
        await self.app(scope, receive, send)

    async def _read_bounded(self, receive: Receive) -> bytes | None:
        """A chunked body has no declared length: read it whole, up to the limit."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return b"".join(chunks)
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)


def _is_json(headers: dict[bytes, bytes]) -> bool:
    media_type = headers.get(b"content-type", b"").split(b";", 1)[0].strip().lower()
    return media_type == b"application/json" or (
        media_type.startswith(b"application/") and media_type.endswith(b"+json")
    )


def _replay(body: bytes, receive: Receive) -> Receive:
    """Hand the buffered body to the app once, then pass later messages (disconnect) through."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay
