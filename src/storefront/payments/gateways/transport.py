"""One HTTP client per gateway, turning transport failures and error answers into the gateway
errors: unknown outcome (GatewayUnavailable) or refusal (GatewayRejected)."""

from collections.abc import Mapping
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ConfigDict, ValidationError

from storefront.payments.gateways.base import GatewayRejected, GatewayUnavailable

# A retry with the same idempotency key may succeed after these: the request is still being
# processed (409) or the caller is being throttled (429).
_RETRYABLE = frozenset({409, 429})

Answer = TypeVar("Answer", bound=BaseModel)


class GatewayModel(BaseModel):
    """A gateway's JSON object, keeping only the fields we read."""

    model_config = ConfigDict(extra="ignore", frozen=True)


class _ErrorDetail(GatewayModel):
    code: str | None = None
    description: str | None = None  # Razorpay
    message: str | None = None  # Stripe


class _ErrorBody(GatewayModel):
    error: _ErrorDetail


def _parse(model: type[Answer], data: Any, *, gateway: str) -> Answer:
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise GatewayUnavailable(
            f"{gateway} answered an unexpected {model.__name__}: {error.error_count()} problem(s)"
        ) from None


class GatewayClient:
    def __init__(
        self,
        gateway: str,
        *,
        base_url: str,
        timeout_seconds: float,
        auth: httpx.Auth | tuple[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.gateway = gateway
        self._client = httpx.AsyncClient(
            base_url=base_url, auth=auth, headers=headers, timeout=timeout_seconds
        )

    async def call(
        self,
        model: type[Answer],
        method: str,
        path: str,
        *,
        json: Any = None,
        data: Mapping[str, str] | None = None,
        params: Mapping[str, str | int] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Answer:
        try:
            response = await self._client.request(
                method, path, json=json, data=data, params=params, headers=headers
            )
        except httpx.HTTPError as error:
            raise GatewayUnavailable(
                f"{self.gateway} could not be reached: {type(error).__name__}"
            ) from None
        if response.status_code >= 500 or response.status_code in _RETRYABLE:
            raise GatewayUnavailable(f"{self.gateway} answered HTTP {response.status_code}")
        body = _json(response)
        if response.is_error:
            raise self._refusal(response.status_code, body)
        if body is None:
            raise GatewayUnavailable(f"{self.gateway} answered a body that is not JSON")
        return _parse(model, body, gateway=self.gateway)

    def _refusal(self, status: int, body: Any) -> GatewayRejected:
        try:
            detail = _ErrorBody.model_validate(body).error
        except ValidationError:
            return GatewayRejected("no error details", http_status=status)
        message = detail.description or detail.message or "no error message"
        return GatewayRejected(message, http_status=status, code=detail.code)

    async def aclose(self) -> None:
        await self._client.aclose()


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None
