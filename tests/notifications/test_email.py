"""Email reaches a real SMTP server (plain, STARTTLS, implicit TLS, with AUTH) or a local file."""

import logging
import ssl
import stat
from collections.abc import Iterator
from email import message_from_bytes
from email.policy import default
from pathlib import Path

import pytest
import trustme
from aiosmtpd.smtp import AuthResult, LoginPassword

from storefront.core.config import Settings
from storefront.notifications.email import (
    FileEmailSender,
    SmtpEmailSender,
    create_email_sender,
)
from storefront.notifications.errors import DeliveryError
from storefront.notifications.templates import EmailContent, render_email
from tests.smtp_sink import SmtpSink

FROM = "Storefront <no-reply@storefront.test>"
TO = "ann@example.com"
CODE = "482913"
USERNAME = "mailer@storefront.test"
PASSWORD = "s3cret/p@ss"
CREDENTIALS_IN_URL = "mailer%40storefront.test:s3cret%2Fp%40ss"
CLOSED_PORT = 1

# aiosmtpd warns that AUTH without TLS is unsafe; these tests check AUTH alone, on purpose.
plain_auth = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


@pytest.fixture
def content() -> EmailContent:
    return render_email("email_otp", {"username": "ann", "code": CODE, "expires_minutes": 10})


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def server_tls(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    return context


@pytest.fixture(scope="module")
def client_tls(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context


@pytest.fixture
def starttls_sink(server_tls: ssl.SSLContext) -> Iterator[SmtpSink]:
    with SmtpSink(tls_context=server_tls, require_starttls=True) as sink:
        yield sink


def _authenticate(
    server: object, session: object, envelope: object, mechanism: str, auth_data: object
) -> AuthResult:
    expected = LoginPassword(USERNAME.encode(), PASSWORD.encode())
    return AuthResult(success=auth_data == expected, handled=False)


@pytest.fixture
def auth_sink() -> Iterator[SmtpSink]:
    with SmtpSink(authenticator=_authenticate, auth_required=True, auth_require_tls=False) as sink:
        yield sink


async def test_message_arrives_with_headers_and_both_parts(
    smtp_sink: SmtpSink, content: EmailContent
) -> None:
    sender = SmtpEmailSender(smtp_sink.url, FROM)

    await sender.send(TO, content, message_id="0f3c9a2e")

    [message] = await smtp_sink.wait_for(1)
    assert message["From"] == FROM
    assert message["To"] == TO
    assert message["Subject"] == "Your Storefront verification code"
    assert message["Message-ID"] == "<0f3c9a2e@storefront>"
    assert message["Date"].datetime is not None
    assert message.get_content_type() == "multipart/alternative"
    text, html = message.iter_parts()
    assert text.get_content_type() == "text/plain"
    assert CODE in text.get_content()
    assert html.get_content_type() == "text/html"
    assert f">{CODE}</strong>" in html.get_content()


async def test_create_email_sender_uses_smtp_when_a_url_is_set(
    smtp_sink: SmtpSink, content: EmailContent, tmp_path: Path
) -> None:
    settings = Settings(data_dir=tmp_path, smtp_url=smtp_sink.url, smtp_from=FROM)
    sender = create_email_sender(settings)

    await sender.send(TO, content, message_id="m1")
    await sender.aclose()

    [message] = await smtp_sink.wait_for(1)
    assert message["To"] == TO
    assert not (tmp_path / "mail").exists()


async def test_required_starttls_with_a_trusted_certificate_delivers(
    starttls_sink: SmtpSink, client_tls: ssl.SSLContext, content: EmailContent
) -> None:
    sender = SmtpEmailSender(f"{starttls_sink.url}?starttls=required", FROM, tls_context=client_tls)

    await sender.send(TO, content, message_id="m1")

    [message] = await starttls_sink.wait_for(1)
    assert message["Message-ID"] == "<m1@storefront>"


async def test_plain_url_upgrades_to_starttls_when_the_server_offers_it(
    starttls_sink: SmtpSink, client_tls: ssl.SSLContext, content: EmailContent
) -> None:
    sender = SmtpEmailSender(starttls_sink.url, FROM, tls_context=client_tls)

    await sender.send(TO, content, message_id="m1")

    assert len(await starttls_sink.wait_for(1)) == 1


async def test_starttls_with_an_untrusted_certificate_fails(
    starttls_sink: SmtpSink, content: EmailContent
) -> None:
    sender = SmtpEmailSender(f"{starttls_sink.url}?starttls=required", FROM)

    with pytest.raises(DeliveryError, match="certificate verify failed"):
        await sender.send(TO, content, message_id="m1")

    assert starttls_sink.messages == []


async def test_required_starttls_refuses_a_server_without_it(
    smtp_sink: SmtpSink, content: EmailContent
) -> None:
    sender = SmtpEmailSender(f"{smtp_sink.url}?starttls=required", FROM)

    with pytest.raises(DeliveryError, match="STARTTLS"):
        await sender.send(TO, content, message_id="m1")

    assert smtp_sink.messages == []


async def test_implicit_tls_delivers_over_smtps(
    server_tls: ssl.SSLContext, client_tls: ssl.SSLContext, content: EmailContent
) -> None:
    with SmtpSink(ssl_context=server_tls) as sink:
        sender = SmtpEmailSender(f"smtps://{sink.host}:{sink.port}", FROM, tls_context=client_tls)

        await sender.send(TO, content, message_id="m1")

        [message] = await sink.wait_for(1)
    assert message["To"] == TO


@plain_auth
async def test_percent_encoded_credentials_log_in(
    auth_sink: SmtpSink, content: EmailContent
) -> None:
    url = f"smtp://{CREDENTIALS_IN_URL}@{auth_sink.host}:{auth_sink.port}"
    sender = SmtpEmailSender(url, FROM)

    await sender.send(TO, content, message_id="m1")

    assert len(await auth_sink.wait_for(1)) == 1


@plain_auth
async def test_wrong_credentials_fail_without_revealing_the_password(
    auth_sink: SmtpSink, content: EmailContent
) -> None:
    url = f"smtp://mailer:wrong-{CREDENTIALS_IN_URL}@{auth_sink.host}:{auth_sink.port}"
    sender = SmtpEmailSender(url, FROM)

    with pytest.raises(DeliveryError, match="535") as error:
        await sender.send(TO, content, message_id="m1")

    assert "wrong-" not in str(error.value)
    assert PASSWORD not in str(error.value)
    assert auth_sink.messages == []


async def test_a_refused_message_fails_with_the_server_answer(
    smtp_sink: SmtpSink, content: EmailContent
) -> None:
    smtp_sink.refuse = True
    sender = SmtpEmailSender(smtp_sink.url, FROM)

    with pytest.raises(DeliveryError, match=r"451 4\.3\.0 try again later") as error:
        await sender.send(TO, content, message_id="m1")

    assert CODE not in str(error.value)


async def test_a_closed_port_fails(content: EmailContent) -> None:
    sender = SmtpEmailSender(f"smtp://127.0.0.1:{CLOSED_PORT}", FROM)

    with pytest.raises(DeliveryError, match=f"127.0.0.1:{CLOSED_PORT}"):
        await sender.send(TO, content, message_id="m1")


@pytest.mark.parametrize(
    "url",
    [
        "http://user:hunter2@mail.example.com",
        "smtp://user:hunter2@mail.example.com:twenty-five",
        "smtp://user:hunter2@",
        "smtp://user:hunter2@mail.example.com/inbox",
        "smtp://user:hunter2@mail.example.com?starttls=maybe",
        "smtps://user:hunter2@mail.example.com?starttls=required",
    ],
)
def test_an_unusable_url_is_refused_without_revealing_the_password(url: str) -> None:
    with pytest.raises(ValueError, match="SMTP URL") as error:
        SmtpEmailSender(url, FROM)

    assert "hunter2" not in str(error.value)


async def test_file_sender_writes_a_private_eml_and_logs_only_its_path(
    tmp_path: Path, content: EmailContent, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="storefront.notifications.email")
    sender = create_email_sender(Settings(data_dir=tmp_path, smtp_url=None, smtp_from=FROM))

    await sender.send(TO, content, message_id="0f3c9a2e")

    [path] = (tmp_path / "mail").iterdir()
    assert path.name.endswith("-0f3c9a2e.eml")
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    message = message_from_bytes(path.read_bytes(), policy=default)
    assert message["To"] == TO
    assert message["Message-ID"] == "<0f3c9a2e@storefront>"
    assert [part.get_content_type() for part in message.iter_parts()] == [
        "text/plain",
        "text/html",
    ]
    [record] = caplog.records
    assert record.getMessage() == "email written"
    assert record.__dict__["path"] == str(path)
    assert record.__dict__["to"] == TO
    assert CODE not in caplog.text
    assert CODE not in repr(record.__dict__)


async def test_file_sender_keeps_every_message(tmp_path: Path, content: EmailContent) -> None:
    sender = FileEmailSender(tmp_path / "mail", FROM)

    await sender.send(TO, content, message_id="first")
    await sender.send(TO, content, message_id="second")

    names = sorted(path.name for path in (tmp_path / "mail").iterdir())
    assert [name.rsplit("-", 1)[1] for name in names] == ["first.eml", "second.eml"]
