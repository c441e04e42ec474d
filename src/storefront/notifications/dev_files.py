"""The development backends' mailbox: each message becomes a private file in the data dir,
never a log line (it may hold a one-time code)."""

import asyncio
from datetime import UTC, datetime
from pathlib import Path


async def write_message_file(directory: Path, message_id: str, suffix: str, data: bytes) -> Path:
    return await asyncio.to_thread(_write, directory, message_id, suffix, data)


def _write(directory: Path, message_id: str, suffix: str, data: bytes) -> Path:
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    path = directory / f"{stamp}-{message_id}{suffix}"
    path.touch(mode=0o600, exist_ok=False)
    path.write_bytes(data)
    return path
