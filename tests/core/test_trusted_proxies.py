"""Per-IP rate limits behind a load balancer: X-Forwarded-For counts only when a trusted proxy
sent it, and then the right-most address that is not one of the proxies is the client's."""

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from ipaddress import ip_network

import httpx
import pytest
from asgi_lifespan import LifespanManager

from storefront.app import create_app
from storefront.core.config import ConfigurationError, Settings, load_settings

LOGIN = "/api/v1/auth/login"
LOGINS_PER_IP = 30  # the login route's per-IP limit, per minute
PROXY = "192.0.2.7"  # the load balancer, inside the trusted networks below
ATTACKER = "203.0.113.9"

Peer = Callable[[str], AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
async def connect_from(settings: Settings) -> AsyncIterator[Peer]:
    """Clients of one running app, each connecting from the given peer address."""
    trusting = settings.model_copy(
        update={"trusted_proxies": [ip_network("192.0.2.0/24"), ip_network("2001:db8::/32")]}
    )
    async with LifespanManager(create_app(trusting), startup_timeout=30) as manager:

        @asynccontextmanager
        async def peer(address: str) -> AsyncIterator[httpx.AsyncClient]:
            transport = httpx.ASGITransport(manager.app, client=(address, 40000))
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                yield client

        yield peer


async def attempt(client: httpx.AsyncClient, n: int, forwarded_for: str) -> int:
    """A failed login, each with its own unknown account so only the per-IP limit can bite."""
    response = await client.post(
        LOGIN,
        json={"username_or_email": f"nobody_{n}", "password": "Wrong#Pass1"},
        headers={"X-Forwarded-For": forwarded_for},
    )
    return response.status_code


async def test_a_spoofed_forwarded_for_from_an_untrusted_peer_does_not_escape_the_limit(
    connect_from: Peer,
) -> None:
    async with connect_from(ATTACKER) as attacker:
        statuses = [await attempt(attacker, n, f"198.51.100.{n}") for n in range(LOGINS_PER_IP)]
        over = await attempt(attacker, LOGINS_PER_IP, "198.51.100.250")

    assert set(statuses) == {401}
    assert over == 429


async def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_limit(
    connect_from: Peer,
) -> None:
    """The client prepends whatever it likes; the proxy appends the address it saw."""
    async with connect_from(PROXY) as proxy:
        first = [
            await attempt(proxy, n, f"198.51.100.{n}, {ATTACKER}") for n in range(LOGINS_PER_IP)
        ]
        first_over = await attempt(proxy, LOGINS_PER_IP, f"198.51.100.99, {ATTACKER}, 192.0.2.99")
        second = await attempt(proxy, LOGINS_PER_IP + 1, "203.0.113.44")
        ipv6 = await attempt(proxy, LOGINS_PER_IP + 2, f"{ATTACKER}, 2001:db8::1")

    assert set(first) == {401}
    assert first_over == 429  # the same client, through a second trusted hop
    assert second == 401
    assert ipv6 == 429  # the same client again: a trusted IPv6 hop is skipped too


def test_trusted_proxies_are_read_as_comma_separated_networks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("STOREFRONT_TRUSTED_PROXIES", "10.0.0.0/8, 192.168.1.5,2001:db8::/32")

    assert load_settings().trusted_proxies == [
        ip_network("10.0.0.0/8"),
        ip_network("192.168.1.5/32"),
        ip_network("2001:db8::/32"),
    ]


def test_a_trusted_proxy_that_is_not_a_network_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("STOREFRONT_TRUSTED_PROXIES", "10.0.0.0/8,lb.internal")

    with pytest.raises(ConfigurationError, match="STOREFRONT_TRUSTED_PROXIES: "):
        load_settings()
