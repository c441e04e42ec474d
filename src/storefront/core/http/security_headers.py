"""Headers every response carries; a route opts into caching by setting Cache-Control itself."""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

_NO_STORE = (b"cache-control", b"no-store")


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, *, hsts_max_age: int) -> None:
        self.app = app
        fixed = {
            "x-content-type-options": "nosniff",
            "content-security-policy": "frame-ancestors 'none'",
            "referrer-policy": "no-referrer",
        }
        if hsts_max_age:
            fixed["strict-transport-security"] = f"max-age={hsts_max_age}; includeSubDomains"
        self.fixed_headers = [(name.encode(), value.encode()) for name, value in fixed.items()]
        self.fixed_names = frozenset(name for name, _ in self.fixed_headers)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = self._secured(message.get("headers", ()))
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _secured(self, headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
        """The response's headers (names are lower case in ASGI) with ours replacing any of the
        same name, no-store unless the route chose its caching, and a charset on text."""
        secured = []
        cacheable = False
        for name, value in headers:
            if name in self.fixed_names:
                continue
            if name == b"cache-control":
                cacheable = True
            elif name == b"content-type" and b"charset=" not in value and _is_textual(value):
                secured.append((name, value + b"; charset=utf-8"))
                continue
            secured.append((name, value))
        secured += self.fixed_headers
        if not cacheable:
            secured.append(_NO_STORE)
        return secured


def _is_textual(content_type: bytes) -> bool:
    media_type = content_type.split(b";", 1)[0].strip().lower()
    return media_type.startswith(b"text/") or media_type.endswith(
        (b"/json", b"+json", b"/javascript")
    )
