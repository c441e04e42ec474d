"""Fuzzing the OpenAPI document against the running API (schemathesis): whatever a client
sends, the server never fails (5xx) and every answer is one the document declares."""

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from tests.processes import environment, serving


@pytest.fixture(scope="module")
def live_api(database_url: str) -> Iterator[str]:
    env = environment(
        STOREFRONT_DATABASE_URL=database_url,
        STOREFRONT_ENV="test",
        STOREFRONT_RATE_LIMITS="false",
        STOREFRONT_LOG_LEVEL="ERROR",
    )
    with serving(env, keep_log=False) as (_, base_url):
        yield base_url


@pytest.fixture(scope="module")
def api_schema(live_api: str) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_url(f"{live_api}/api/v1/openapi.json")


def test_every_answer_is_declared_and_none_is_a_server_error(
    api_schema: schemathesis.BaseSchema, live_api: str
) -> None:
    failures = {}
    for result in api_schema.get_all_operations():
        operation = result.ok()  # type: ignore[union-attr]  # an invalid document fails here
        try:
            _fuzz(operation, live_api)
        except FailureGroup as found:  # what schemathesis found: collected for every route
            failures[operation.label] = _summary(found)
    assert not failures, "\n".join(f"{label}: {found}" for label, found in failures.items())


def _summary(found: FailureGroup) -> str:
    return "; ".join(str(failure).strip().splitlines()[0] for failure in found.exceptions)


def _fuzz(operation: schemathesis.APIOperation, live_api: str) -> None:  # type: ignore[type-arg]
    @given(case=operation.as_strategy())
    @settings(
        max_examples=15, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    def check(case: schemathesis.Case) -> None:  # type: ignore[type-arg]
        # Business rules (a 6-20 character username, say) are stricter than the document's
        # types, so a schema-valid body may rightly be refused; unknown query parameters are
        # ignored rather than refused.
        case.call_and_validate(
            base_url=live_api,
            excluded_checks=[positive_data_acceptance, negative_data_rejection],
        )

    check()
