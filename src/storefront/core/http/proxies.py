"""Trusting a load balancer's X-Forwarded-For, and only a load balancer's.

Granian's wrapper (the server `storefront serve` runs) does the work, as middleware so that it
applies however the app is served: when the peer is in a trusted network, the request's client
becomes the right-most forwarded address that is not itself trusted (the one the first trusted
proxy saw; what a client prepends is never reached), and then the scheme follows
X-Forwarded-Proto. From any other peer both headers are ignored.
"""

from collections.abc import Sequence

from granian.utils.proxies import wrap_asgi_with_proxy_headers
from pydantic import IPvAnyNetwork
from starlette.middleware import Middleware


def trusted_proxy_middleware(networks: Sequence[IPvAnyNetwork]) -> list[Middleware]:
    """Nothing when no proxy is trusted (the default): the peer address is the client."""
    if not networks:
        return []
    # Written as networks ("10.0.0.5/32" too), so granian never reads one as a host name.
    return [Middleware(wrap_asgi_with_proxy_headers, trusted_hosts=[str(n) for n in networks])]
