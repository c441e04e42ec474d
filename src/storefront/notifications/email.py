"""Email delivery: over SMTP when STOREFRONT_SMTP_URL is set, else as .eml files in the data dir."""

import logging
import socket
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib

from storefront.core.config import Settings
from storefront.notifications.dev_files import write_message_file
from storefront.notifications.errors import DeliveryError
from storefront.notifications.templates import EmailContent

logger = logging.getLogger(__name__)

_TIMEOUT_SECONDS = 10.0
_URL_FORMS = "smtp://[user:password@]host[:port][?starttls=required] or smtps://..."


class EmailSender(Protocol):
    async def send(self, to: str, content: EmailContent, *, message_id: str) -> None:
        """Deliver one message; `message_id` (a unique token such as a UUID) names it."""

    async def aclose(self) -> None: ...


def _build_message(
    from_address: str, to: str, content: EmailContent, *, message_id: str
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = from_address
    message["To"] = to
    message["Subject"] = content.subject
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = f"<{message_id}@storefront>"
    message.set_content(content.text)
    message.add_alternative(content.html, subtype="html")
    return message


@dataclass(frozen=True)
class _SmtpServer:
    host: str
    port: int
    use_tls: bool
    start_tls: bool | None  # True: refuse to send without STARTTLS; None: use it when offered
    username: str | None
    password: str | None = field(repr=False)


def _parse_smtp_url(url: str) -> _SmtpServer:
    """Read an SMTP URL; error messages never quote the URL, as it may hold a password."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps"):
        raise ValueError(f"Unsupported SMTP URL scheme {parts.scheme!r}: use {_URL_FORMS}.")
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"Invalid port in the SMTP URL: use {_URL_FORMS}.") from None
    starttls_required = parse_qs(parts.query) == {"starttls": ["required"]}
    if (
        not parts.hostname
        or parts.path not in ("", "/")
        or parts.fragment
        or (parts.query and not (starttls_required and parts.scheme == "smtp"))
    ):
        raise ValueError(f"Malformed SMTP URL: use {_URL_FORMS}.")
    implicit_tls = parts.scheme == "smtps"
    username = unquote(parts.username) if parts.username else None
    return _SmtpServer(
        host=parts.hostname,
        port=port or (465 if implicit_tls else 25),
        use_tls=implicit_tls,
        start_tls=True if starttls_required else None,
        username=username,
        password=unquote(parts.password or "") if username else None,
    )


def _describe(error: Exception) -> str:
    if isinstance(error, aiosmtplib.SMTPResponseException):
        return f"the server answered {error.code} {error.message}"
    return str(error) or type(error).__name__


class SmtpEmailSender:
    """Sends each message over its own connection to the server named by an SMTP URL."""

    def __init__(
        self, url: str, from_address: str, *, tls_context: ssl.SSLContext | None = None
    ) -> None:
        self._server = _parse_smtp_url(url)
        self._from_address = from_address
        self._tls_context = tls_context or ssl.create_default_context()
        # Named once: left to aiosmtplib, each message would look it up in a thread.
        self._local_hostname = socket.getfqdn()

    async def send(self, to: str, content: EmailContent, *, message_id: str) -> None:
        server = self._server
        message = _build_message(self._from_address, to, content, message_id=message_id)
        try:
            await aiosmtplib.send(
                message,
                hostname=server.host,
                port=server.port,
                username=server.username,
                password=server.password,
                use_tls=server.use_tls,
                start_tls=server.start_tls,
                tls_context=self._tls_context,
                local_hostname=self._local_hostname,
                timeout=_TIMEOUT_SECONDS,
            )
        except (aiosmtplib.SMTPException, OSError) as error:
            raise DeliveryError(
                f"Sending email through {server.host}:{server.port} failed: {_describe(error)}"
            ) from error

    async def aclose(self) -> None:
        """Nothing to release: every send opens and closes its own connection."""


class FileEmailSender:
    """The development backend: each message becomes an .eml file, never a log line."""

    def __init__(self, directory: Path, from_address: str) -> None:
        self._directory = directory
        self._from_address = from_address

    async def send(self, to: str, content: EmailContent, *, message_id: str) -> None:
        message = _build_message(self._from_address, to, content, message_id=message_id)
        path = await write_message_file(self._directory, message_id, ".eml", message.as_bytes())
        logger.info("email written", extra={"path": str(path), "to": to})

    async def aclose(self) -> None:
        """Nothing to release."""


def create_email_sender(
    settings: Settings, *, tls_context: ssl.SSLContext | None = None
) -> EmailSender:
    if settings.smtp_url:
        return SmtpEmailSender(settings.smtp_url, settings.smtp_from, tls_context=tls_context)
    return FileEmailSender(settings.data_dir / "mail", settings.smtp_from)
