"""Authenticated encryption for secrets that must travel through the outbox and the queue (an OTP
to be sent, say): stored and published sealed, opened only by the handler that sends them."""

import base64
import hashlib
import json
from collections.abc import Mapping

from cryptography.fernet import Fernet, InvalidToken

_PURPOSE = b"storefront/sealed-payload/v1"


class SealBroken(Exception):
    """The sealed value was tampered with or sealed under another key."""


class Sealer:
    def __init__(self, secret_key: str) -> None:
        digest = hashlib.sha256(_PURPOSE + secret_key.encode()).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(digest))

    def seal(self, values: Mapping[str, str]) -> str:
        return self._fernet.encrypt(json.dumps(dict(values)).encode()).decode()

    def open(self, sealed: str) -> dict[str, str]:
        try:
            opened: dict[str, str] = json.loads(self._fernet.decrypt(sealed.encode()))
        except InvalidToken:
            raise SealBroken from None
        return opened
