"""Which real services the tests may use, and the rule for a missing one: skip with a reason,
or fail when STOREFRONT_TEST_REQUIRE_SERVICES=1 (as in CI, where every such test must run)."""

import os

import pytest

REQUIRE_SERVICES = os.environ.get("STOREFRONT_TEST_REQUIRE_SERVICES") == "1"


def required_service_url(env_var: str, service: str) -> str:
    url = os.environ.get(env_var)
    if url:
        return url
    reason = f"{service} is not configured: set {env_var} to run this test"
    if REQUIRE_SERVICES:
        pytest.fail(f"{reason} (STOREFRONT_TEST_REQUIRE_SERVICES=1)")
    pytest.skip(reason)
