"""The ceiling: a bare ASGI app (no framework) returning the categories body's bytes."""

from typing import Any

BODY = (
    b'{"status":"success","categories":[{"category_id":"C100","name":"Clothing"},'
    b'{"category_id":"C200","name":"Grocery"}]}'
)
HEADERS = [
    (b"content-type", b"application/json; charset=utf-8"),
    (b"content-length", b"%d" % len(BODY)),
]


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": BODY})
