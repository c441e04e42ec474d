"""Listing cursors: a position in a sort order, as 48 URL-safe characters.

A cursor holds the sort keys of the last row a page showed (so the next page starts strictly
after it, whatever was added or removed before it since) and how many rows came before the
next page (its page number). It is 36 bytes in base64url: two integers, a product id and a
row count. Every 48-character base64url string decodes to some position, so a cursor is
checked for its form only: an altered one just starts somewhere else in the same public
listing, which any page number could show too; a signature would protect nothing."""

import base64
import re
import struct
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

CURSOR_PATTERN = r"^[A-Za-z0-9_-]{48}$"
_CURSOR = re.compile(r"[A-Za-z0-9_-]{48}")
_LAYOUT = struct.Struct(">qq16sI")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# A day inside datetime's own range, so that any time a cursor names can be sent to PostgreSQL.
_EARLIEST = datetime.min.replace(tzinfo=UTC) + timedelta(days=1)
_LATEST = datetime.max.replace(tzinfo=UTC) - timedelta(days=1)
_NO_RATING = -1
# What the columns can hold: NUMERIC(12,2) prices and NUMERIC(3,2) ratings, in hundredths.
_MAX_CENTS = 10**12 - 1
_MAX_RATING = 999


@dataclass(frozen=True)
class Cursor:
    """`first` and `second` are the row's sort keys as integers (see the `*_keys` functions);
    `position` counts the rows before the one after it."""

    first: int
    second: int
    product_id: uuid.UUID
    position: int

    def encode(self) -> str:
        return base64.urlsafe_b64encode(self.to_bytes()).decode()

    def to_bytes(self) -> bytes:
        return _LAYOUT.pack(self.first, self.second, self.product_id.bytes, self.position)

    @classmethod
    def from_bytes(cls, packed: bytes) -> "Cursor":
        first, second, product_id, position = _LAYOUT.unpack(packed)
        return cls(first, second, uuid.UUID(bytes=product_id), position)


CURSOR_SIZE = _LAYOUT.size


def decode(text: str) -> Cursor:
    """ValueError unless `text` has the form of a cursor (see CURSOR_PATTERN)."""
    if not _CURSOR.fullmatch(text):
        raise ValueError(CURSOR_MESSAGE)
    return Cursor.from_bytes(base64.urlsafe_b64decode(text))


CURSOR_MESSAGE = "Not a cursor: pass a next_cursor a listing returned."


def time_key(value: datetime) -> int:
    return (value - _EPOCH) // timedelta(microseconds=1)


def time_of(key: int) -> datetime:
    microseconds = max(time_key(_EARLIEST), min(key, time_key(_LATEST)))
    return _EPOCH + timedelta(microseconds=microseconds)


def cents_key(value: Decimal) -> int:
    return int(value * 100)


def cents_of(key: int) -> Decimal:
    return Decimal(max(-_MAX_CENTS, min(key, _MAX_CENTS))) / 100


def rating_key(value: Decimal | None) -> int:
    return _NO_RATING if value is None else int(value * 100)


def rating_of(key: int) -> Decimal | None:
    return None if key < 0 else Decimal(min(key, _MAX_RATING)) / 100


def real_key(value: float) -> int:
    """A PostgreSQL `real` (a search rank) as the integer of its 32 bits: exact both ways."""
    return int.from_bytes(struct.pack(">f", value), "big")


def real_of(key: int) -> float:
    value: float = struct.unpack(">f", (key & 0xFFFFFFFF).to_bytes(4, "big"))[0]
    return value
