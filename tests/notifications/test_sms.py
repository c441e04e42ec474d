"""SMS goes to Twilio's REST API (a real local HTTP server speaking it here) or to a local file."""

import base64
import logging
import stat
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from pydantic import SecretStr
from pytest_httpserver import HTTPServer

from storefront.core.config import ConfigurationError, Settings
from storefront.notifications.errors import DeliveryError
from storefront.notifications.sms import TwilioSmsSender, create_sms_sender

ACCOUNT_SID = "AC0123456789abcdef0123456789abcdef"
AUTH_TOKEN = "twilio-auth-token-9f8e7d"
FROM_NUMBER = "+15005550006"
TO = "+46701234567"
BODY = "Storefront: your verification code is 482913. It expires in 10 minutes."
MESSAGES_PATH = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
CLOSED_PORT = 1


def _twilio_settings(api_base: str, tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path,
        sms_backend="twilio",
        twilio_account_sid=ACCOUNT_SID,
        twilio_auth_token=SecretStr(AUTH_TOKEN),
        twilio_from_number=FROM_NUMBER,
        twilio_api_base=api_base,
    )


@pytest.fixture
async def twilio(httpserver: HTTPServer, tmp_path: Path) -> AsyncIterator[TwilioSmsSender]:
    sender = create_sms_sender(_twilio_settings(httpserver.url_for("").rstrip("/"), tmp_path))
    assert isinstance(sender, TwilioSmsSender)
    yield sender
    await sender.aclose()


async def test_twilio_receives_the_message_with_basic_auth(
    twilio: TwilioSmsSender, httpserver: HTTPServer
) -> None:
    credentials = base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
    httpserver.expect_oneshot_request(
        MESSAGES_PATH, method="POST", headers={"Authorization": f"Basic {credentials}"}
    ).respond_with_json({"sid": "SM123", "status": "queued"}, status=201)

    await twilio.send(TO, BODY, message_id="m1")

    httpserver.check_assertions()
    [(request, _)] = httpserver.log
    assert request.form.to_dict() == {"To": TO, "From": FROM_NUMBER, "Body": BODY}


async def test_twilio_refusal_reports_its_error_code_but_not_the_token(
    twilio: TwilioSmsSender, httpserver: HTTPServer
) -> None:
    httpserver.expect_oneshot_request(MESSAGES_PATH, method="POST").respond_with_json(
        {
            "code": 21211,
            "message": "The 'To' number +1555 is not a valid phone number.",
            "more_info": "https://www.twilio.com/docs/errors/21211",
            "status": 400,
        },
        status=400,
    )

    with pytest.raises(DeliveryError, match="21211") as error:
        await twilio.send("+1555", BODY, message_id="m1")

    message = str(error.value)
    assert "HTTP 400" in message
    assert "is not a valid phone number" in message
    assert AUTH_TOKEN not in message
    assert "482913" not in message


async def test_twilio_answer_without_json_still_fails(
    twilio: TwilioSmsSender, httpserver: HTTPServer
) -> None:
    httpserver.expect_oneshot_request(MESSAGES_PATH, method="POST").respond_with_data(
        "Bad Gateway", status=502
    )

    with pytest.raises(DeliveryError, match="HTTP 502"):
        await twilio.send(TO, BODY, message_id="m1")


async def test_unreachable_twilio_fails(tmp_path: Path) -> None:
    sender = create_sms_sender(_twilio_settings(f"http://127.0.0.1:{CLOSED_PORT}", tmp_path))

    with pytest.raises(DeliveryError, match="Could not reach Twilio") as error:
        await sender.send(TO, BODY, message_id="m1")
    await sender.aclose()

    assert AUTH_TOKEN not in str(error.value)


@pytest.mark.parametrize(
    "missing", ["twilio_account_sid", "twilio_auth_token", "twilio_from_number"]
)
def test_twilio_backend_without_credentials_is_a_configuration_error(
    missing: str, tmp_path: Path
) -> None:
    settings = _twilio_settings("https://api.twilio.com", tmp_path).model_copy(
        update={missing: None}
    )

    with pytest.raises(ConfigurationError) as error:
        create_sms_sender(settings)

    assert str(error.value) == (
        "STOREFRONT_SMS_BACKEND=twilio needs STOREFRONT_TWILIO_ACCOUNT_SID, "
        "STOREFRONT_TWILIO_AUTH_TOKEN and STOREFRONT_TWILIO_FROM_NUMBER."
    )


async def test_console_backend_writes_a_private_file_and_logs_only_its_path(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="storefront.notifications.sms")
    sender = create_sms_sender(Settings(data_dir=tmp_path, sms_backend="console"))

    await sender.send(TO, BODY, message_id="0f3c9a2e")
    await sender.aclose()

    [path] = (tmp_path / "sms").iterdir()
    assert path.name.endswith("-0f3c9a2e.txt")
    assert path.read_text() == f"To: {TO}\n\n{BODY}\n"
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    [record] = caplog.records
    assert record.getMessage() == "sms written"
    assert record.__dict__["path"] == str(path)
    assert record.__dict__["to"] == TO
    assert "482913" not in caplog.text
    assert "482913" not in repr(record.__dict__)
