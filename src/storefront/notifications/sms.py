"""SMS delivery: through Twilio when STOREFRONT_SMS_BACKEND=twilio, else as files in data_dir."""

import logging
from pathlib import Path
from typing import Protocol

import httpx

from storefront.core.config import ConfigurationError, Settings
from storefront.notifications.dev_files import write_message_file
from storefront.notifications.errors import DeliveryError

logger = logging.getLogger(__name__)

_TIMEOUT_SECONDS = 10.0


class SmsSender(Protocol):
    async def send(self, to: str, body: str, *, message_id: str) -> None:
        """Deliver one message; `message_id` (a unique token such as a UUID) names it."""

    async def aclose(self) -> None: ...


class FileSmsSender:
    """The development backend: each message becomes a text file, never a log line."""

    def __init__(self, directory: Path) -> None:
        self._directory = directory

    async def send(self, to: str, body: str, *, message_id: str) -> None:
        text = f"To: {to}\n\n{body}\n".encode()
        path = await write_message_file(self._directory, message_id, ".txt", text)
        logger.info("sms written", extra={"path": str(path), "to": to})

    async def aclose(self) -> None:
        """Nothing to release."""


def _twilio_refusal(response: httpx.Response) -> DeliveryError:
    try:
        error = response.json()
        detail = f"error {error['code']}: {error['message']}"
    except (ValueError, KeyError, TypeError):
        detail = "no error details"
    return DeliveryError(f"Twilio refused the SMS with HTTP {response.status_code}, {detail}")


class TwilioSmsSender:
    """Twilio's Programmable Messaging REST API, over one HTTP client kept until aclose()."""

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        from_number: str,
        api_base: str = "https://api.twilio.com",
    ) -> None:
        self._from_number = from_number
        self._path = f"/2010-04-01/Accounts/{account_sid}/Messages.json"
        self._client = httpx.AsyncClient(
            base_url=api_base, auth=(account_sid, auth_token), timeout=_TIMEOUT_SECONDS
        )

    async def send(self, to: str, body: str, *, message_id: str) -> None:
        try:
            response = await self._client.post(
                self._path, data={"To": to, "From": self._from_number, "Body": body}
            )
        except httpx.HTTPError as error:
            raise DeliveryError(
                f"Could not reach Twilio at {self._client.base_url}: {type(error).__name__} {error}"
            ) from error
        if not response.is_success:
            raise _twilio_refusal(response)

    async def aclose(self) -> None:
        await self._client.aclose()


def create_sms_sender(settings: Settings) -> SmsSender:
    if settings.sms_backend == "console":
        return FileSmsSender(settings.data_dir / "sms")
    if not (
        settings.twilio_account_sid and settings.twilio_auth_token and settings.twilio_from_number
    ):
        raise ConfigurationError(
            "STOREFRONT_SMS_BACKEND=twilio needs STOREFRONT_TWILIO_ACCOUNT_SID, "
            "STOREFRONT_TWILIO_AUTH_TOKEN and STOREFRONT_TWILIO_FROM_NUMBER."
        )
    return TwilioSmsSender(
        settings.twilio_account_sid,
        settings.twilio_auth_token.get_secret_value(),
        settings.twilio_from_number,
        settings.twilio_api_base,
    )
