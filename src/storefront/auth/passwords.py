"""Password hashing with argon2id, run in worker threads so the event loop stays free."""

import os
import secrets

import anyio
import anyio.to_thread
from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

# OWASP's argon2id minimum (m=19 MiB, t=2, p=1); argon2-cffi's defaults cost about 4x as much.
OWASP_HASHER = PasswordHasher(
    time_cost=2, memory_cost=19456, parallelism=1, hash_len=32, salt_len=16, type=Type.ID
)


def _default_limit() -> int:
    return (os.cpu_count() or 1) * 2


class Passwords:
    """Hashes and checks passwords, at most `limit` at once, so memory stays bounded."""

    def __init__(self, *, limit: int | None = None, hasher: PasswordHasher = OWASP_HASHER) -> None:
        self._hasher = hasher
        self._limiter = anyio.CapacityLimiter(_default_limit() if limit is None else limit)
        self._dummy_hash: str | None = None

    async def hash(self, password: str) -> str:
        return await anyio.to_thread.run_sync(self._hasher.hash, password, limiter=self._limiter)

    async def verify(self, hash: str, password: str) -> bool:
        """False for a wrong password and for a malformed hash; never raises for either."""
        return await anyio.to_thread.run_sync(
            self._verify_blocking, hash, password, limiter=self._limiter
        )

    def needs_rehash(self, hash: str) -> bool:
        """Whether `hash` was made with other parameters and should be replaced at login."""
        return self._hasher.check_needs_rehash(hash)

    async def verify_dummy(self, password: str) -> None:
        """Take as long as a real verify, so an unknown account answers as slowly as a known one."""
        if self._dummy_hash is None:
            self._dummy_hash = await self.hash(secrets.token_urlsafe(16))
        await self.verify(self._dummy_hash, password)

    def _verify_blocking(self, hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(hash, password)
        except (VerificationError, InvalidHashError):
            return False
