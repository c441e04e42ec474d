import statistics
import threading
import time
from collections.abc import Awaitable, Callable

import anyio
import pytest
from argon2 import PasswordHasher

from storefront.auth.passwords import Passwords

LONG_PASSWORD = "Ünïcode pässwörd with spaces — 🔐 and more than sixty-four characters, all kept!"


@pytest.fixture(scope="module")
def passwords() -> Passwords:
    return Passwords()


class RecordingHasher(PasswordHasher):
    """Counts how many hashes run at once, and in which threads."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=8, parallelism=1)
        self._lock = threading.Lock()
        self.hashes = 0
        self.running = 0
        self.most_at_once = 0
        self.threads: set[int] = set()

    def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
        with self._lock:
            self.hashes += 1
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
            self.threads.add(threading.get_ident())
        time.sleep(0.05)
        with self._lock:
            self.running -= 1
        return super().hash(password, salt=salt)


async def test_hashes_are_argon2id_with_the_owasp_parameters(passwords: Passwords) -> None:
    assert (await passwords.hash("John@123$")).startswith("$argon2id$v=19$m=19456,t=2,p=1$")


async def test_the_same_password_hashes_differently_each_time(passwords: Passwords) -> None:
    assert await passwords.hash("John@123$") != await passwords.hash("John@123$")


async def test_verify_accepts_the_password_and_refuses_another(passwords: Passwords) -> None:
    password_hash = await passwords.hash("John@123$")

    assert await passwords.verify(password_hash, "John@123$")
    assert not await passwords.verify(password_hash, "John@123%")
    assert not await passwords.verify(password_hash, "")


@pytest.mark.parametrize(
    "malformed",
    ["", "not a hash", "$argon2id$v=19$m=19456,t=2,p=1$xx$yy", "$2b$12$" + "a" * 53],
)
async def test_verify_against_a_malformed_hash_is_false(
    passwords: Passwords, malformed: str
) -> None:
    assert not await passwords.verify(malformed, "John@123$")


async def test_long_unicode_passwords_are_never_truncated(passwords: Passwords) -> None:
    assert len(LONG_PASSWORD) > 64
    password_hash = await passwords.hash(LONG_PASSWORD)

    assert await passwords.verify(password_hash, LONG_PASSWORD)
    assert not await passwords.verify(password_hash, LONG_PASSWORD[:-1] + "?")
    assert not await passwords.verify(password_hash, LONG_PASSWORD[:64])


async def test_hashes_with_other_parameters_need_a_rehash(passwords: Passwords) -> None:
    library_default = PasswordHasher().hash("John@123$")

    assert passwords.needs_rehash(library_default)
    assert not passwords.needs_rehash(await passwords.hash("John@123$"))


@pytest.mark.parametrize("limit", [1, 2])
async def test_hashing_runs_in_worker_threads_at_most_limit_at_once(limit: int) -> None:
    hasher = RecordingHasher()
    passwords = Passwords(limit=limit, hasher=hasher)

    async with anyio.create_task_group() as tasks:
        for _ in range(4):
            tasks.start_soon(passwords.hash, "John@123$")

    assert hasher.most_at_once == limit
    assert threading.get_ident() not in hasher.threads


async def test_the_dummy_hash_is_made_once_on_first_use() -> None:
    hasher = RecordingHasher()
    passwords = Passwords(hasher=hasher)
    assert hasher.hashes == 0

    await passwords.verify_dummy("John@123$")
    await passwords.verify_dummy("John@123$")

    assert hasher.hashes == 1


async def _median_seconds(run: Callable[[], Awaitable[object]]) -> float:
    times = []
    for _ in range(5):
        start = time.perf_counter()
        await run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


async def test_a_dummy_verify_takes_as_long_as_a_failed_real_one(passwords: Passwords) -> None:
    password_hash = await passwords.hash("John@123$")
    await passwords.verify_dummy("warm up: computes the dummy hash once")

    real = await _median_seconds(lambda: passwords.verify(password_hash, "Wrong@123$"))
    dummy = await _median_seconds(lambda: passwords.verify_dummy("Wrong@123$"))

    assert 0.5 < dummy / real < 2
