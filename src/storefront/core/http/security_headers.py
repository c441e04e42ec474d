"""Headers every response carries; a route opts into caching by setting Cache-Control itself."""

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, *, hsts_max_age: int) -> None:
        self.app = app
        self.fixed_headers = {
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "frame-ancestors 'none'",
            "Referrer-Policy": "no-referrer",
        }
        if hsts_max_age:
            self.fixed_headers["Strict-Transport-Security"] = (
                f"max-age={hsts_max_age}; includeSubDomains"
            )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.update(self.fixed_headers)
                if "cache-control" not in headers:
                    headers["Cache-Control"] = "no-store"
                content_type = headers.get("content-type", "")
                if content_type and "charset=" not in content_type and _is_textual(content_type):
                    headers["Content-Type"] = f"{content_type}; charset=utf-8"
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _is_textual(content_type: str) -> bool:
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type.startswith("text/") or media_type.endswith(("/json", "+json", "/javascript"))
