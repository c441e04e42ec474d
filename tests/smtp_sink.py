"""A real SMTP server for tests (aiosmtpd in a thread) that keeps every message it accepts."""

import asyncio
import email
import time
from collections.abc import Iterator
from email.message import EmailMessage
from email.policy import default
from types import TracebackType
from typing import Any, Self

import pytest
from aiosmtpd.controller import Controller

from tests.ports import free_port


class SmtpSink:
    """Accepts mail on 127.0.0.1; set `refuse` to answer every message with a transient 451.

    Keyword arguments go to aiosmtpd: `ssl_context` for implicit TLS, and the `SMTP` options
    such as `tls_context`, `require_starttls`, `authenticator` or `auth_require_tls`.
    """

    def __init__(self, **aiosmtpd_options: Any) -> None:
        self.host = "127.0.0.1"
        self.port = free_port()  # aiosmtpd 1.4 cannot report a port the system picked
        self.url = f"smtp://{self.host}:{self.port}"
        self.messages: list[EmailMessage] = []
        self.refuse = False
        self._controller = Controller(
            self,
            hostname=self.host,
            port=self.port,
            server_hostname="smtp-sink.test",
            **aiosmtpd_options,
        )

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refuse:
            return "451 4.3.0 try again later"
        self.messages.append(email.message_from_bytes(envelope.content, policy=default))
        return "250 2.0.0 OK"

    # Polls, because the server thread appends; `timeout` (rather than the caller's
    # asyncio.timeout) lets the failure say how many messages did arrive.
    async def wait_for(self, count: int, timeout: float = 10.0) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count:
            if time.monotonic() > deadline:
                pytest.fail(f"{len(self.messages)} of {count} emails arrived in {timeout} s")
            await asyncio.sleep(0.02)
        return list(self.messages)

    def __enter__(self) -> Self:
        self._controller.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._controller.stop()


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    with SmtpSink() as sink:
        yield sink
