"""A TCP forwarder the test can take down and bring back, or pause, to cut a real service off
(a broker outage) or make it hang without touching the service itself, which other tests share."""

import asyncio
import contextlib
from urllib.parse import urlsplit, urlunsplit

from tests.ports import free_port


class TcpProxy:
    def __init__(self, target_url: str) -> None:
        target = urlsplit(target_url)
        self.target_host = target.hostname or "127.0.0.1"
        self.target_port = target.port or 5672
        self.port = free_port()
        userinfo = target.netloc.rpartition("@")[0]
        netloc = f"{userinfo}@127.0.0.1:{self.port}" if userinfo else f"127.0.0.1:{self.port}"
        self.url = urlunsplit(target._replace(netloc=netloc))
        self._server: asyncio.Server | None = None
        self._pipes: set[asyncio.Task[None]] = set()
        self._requests = asyncio.Event()  # client -> service, and new connections
        self._replies = asyncio.Event()  # service -> client
        self._requests.set()
        self._replies.set()

    async def up(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)

    def hold_replies(self) -> None:
        """Stop passing on what the service sends (what the client sends still reaches it), as
        a network failing right after a request went out; `down` then cuts the connections."""
        self._replies.clear()

    def pause(self) -> None:
        """Keep every connection open but pass nothing on, either way, and leave new ones
        unanswered: the service hangs."""
        self._requests.clear()
        self._replies.clear()

    def resume(self) -> None:
        self._requests.set()
        self._replies.set()

    async def down(self) -> None:
        """Stop listening and cut every open connection, as a broker crash would."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for pipe in list(self._pipes):
            pipe.cancel()
        await asyncio.gather(*self._pipes, return_exceptions=True)
        self.resume()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await self._requests.wait()
        upstream_reader, upstream_writer = await asyncio.open_connection(
            self.target_host, self.target_port
        )
        pipes = [
            asyncio.create_task(_pipe(reader, upstream_writer, self._requests)),
            asyncio.create_task(_pipe(upstream_reader, writer, self._replies)),
        ]
        self._pipes.update(pipes)
        try:
            await asyncio.gather(*pipes, return_exceptions=True)
        finally:
            self._pipes.difference_update(pipes)
            for stream in (writer, upstream_writer):
                stream.close()


async def _pipe(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, flowing: asyncio.Event
) -> None:
    with contextlib.suppress(ConnectionError):
        while data := await reader.read(65536):
            await flowing.wait()
            writer.write(data)
            await writer.drain()
    # One side closed: close the other, as a connection through no proxy would be.
    writer.close()
