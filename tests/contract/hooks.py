"""Schemathesis hooks of the contract test (loaded through schemathesis.toml)."""

from typing import Any

import schemathesis


def _integral_floats_as_ints(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [_integral_floats_as_ints(item) for item in value]
    if isinstance(value, dict):
        return {key: _integral_floats_as_ints(item) for key, item in value.items()}
    return value


@schemathesis.hook
def before_call(
    context: schemathesis.HookContext,
    case: schemathesis.Case,  # type: ignore[type-arg]
    kwargs: Any,
) -> None:
    """JSON Schema cannot tell 2 from 2.0 (both are "integer"), so the generator sends 2.0
    for an integer; the API takes JSON integers only (a quantity of 2.0 is a 400, as the cart's
    tests require). A client written from the document sends 2: so does this test. Whether a
    case is valid or not never changes with it."""
    if isinstance(case.body, dict | list):  # a body of null must stay the null it was
        case.body = _integral_floats_as_ints(case.body)
