"""Idempotency keys for requests that create something (an order, a payment), after the IETF
httpapi Idempotency-Key draft and Stripe's API.

The client sends `Idempotency-Key: <16-255 printable ASCII characters>`. A key is scoped to
(user, route); the request it first came with is fingerprinted (SHA-256 of its canonical JSON
body). Then, for the same key:

- the first request still running: 409 with `Retry-After: 1`, at once (a transaction-level
  advisory lock on the scope, tried rather than waited for);
- a finished one: its status and body again, with `Idempotent-Replayed: true`, and no effect;
- another body: 422, as the draft specifies (the one 422 of this API).

The record is written in the request's own transaction: a request that fails and rolls back
leaves no record (its retry runs again), and a crash leaves no half state. Records live
`STOREFRONT_IDEMPOTENCY_TTL_HOURS`, then a periodic job purges them.

In a route::

    call = await idempotency.begin(
        session, user_id=user_id, route="create_order", key=key, body=body.model_dump(), ttl=ttl
    )
    if call.replay is not None:
        return call.replay
    response = ...  # do the work
    call.store(201, response)
    return response
"""

import hashlib
import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import Depends, Header
from pydantic import BaseModel
from sqlalchemy import DateTime, Index, SmallInteger, String, delete, func, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column
from starlette.responses import JSONResponse

from storefront.core.database import Base
from storefront.core.errors import AppError, Conflict, InvalidInput
from storefront.core.schemas import FieldError

KEY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MIN_KEY_LENGTH = 16
MAX_KEY_LENGTH = 255
_KEY = re.compile(rf"[\x20-\x7e]{{{MIN_KEY_LENGTH},{MAX_KEY_LENGTH}}}")

KEY_REQUIRED = (
    f"This header is required: a key of {MIN_KEY_LENGTH}-{MAX_KEY_LENGTH} characters "
    "that is unique to this request (a UUID, say)."
)
KEY_INVALID = f"Use {MIN_KEY_LENGTH}-{MAX_KEY_LENGTH} printable ASCII characters."


class IdempotencyRecord(Base):
    __tablename__ = "idempotency_keys"
    __table_args__ = (Index("ix_idempotency_keys_expires_at", "expires_at"),)

    # The primary key is the scope: one record per user, route and key.
    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    route: Mapped[str] = mapped_column(String(100), primary_key=True)
    key: Mapped[str] = mapped_column(String(MAX_KEY_LENGTH), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    response_status: Mapped[int] = mapped_column(SmallInteger)
    response_body: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class IdempotencyKeyInUse(Conflict):
    default_message = (
        "A request with this Idempotency-Key is still being processed. Retry in a moment."
    )

    def __init__(self) -> None:
        super().__init__(headers={"Retry-After": "1"})


class IdempotencyKeyReused(AppError):
    status_code = 422
    default_message = (
        "This Idempotency-Key was already used with a different request body. "
        "Use a new key for a new request."
    )


# The header as the document states it (required, and its form) while the dependency reads it
# as optional, to answer its absence with our own message: routes declare it with
# `openapi_extra=KEY_PARAMETER`.
KEY_PARAMETER: dict[str, Any] = {
    "parameters": [
        {
            "name": KEY_HEADER,
            "in": "header",
            "required": True,
            "description": f"{MIN_KEY_LENGTH}-{MAX_KEY_LENGTH} printable ASCII characters, "
            "unique to this request: a retry with the same key returns the first response.",
            "schema": {"type": "string", "pattern": rf"^{_KEY.pattern}$"},
        }
    ]
}


async def _idempotency_key(
    key: Annotated[str | None, Header(alias=KEY_HEADER, include_in_schema=False)] = None,
) -> str:
    if key is None:
        raise InvalidInput(errors=[FieldError(field=KEY_HEADER, message=KEY_REQUIRED)])
    if not _KEY.fullmatch(key):
        raise InvalidInput(errors=[FieldError(field=KEY_HEADER, message=KEY_INVALID)])
    return key


IdempotencyKey = Annotated[str, Depends(_idempotency_key)]
"""The request's `Idempotency-Key` header, required and checked (400 on the header)."""


def fingerprint(body: Mapping[str, Any]) -> str:
    """SHA-256 of the body as canonical JSON: sorted keys, no spaces."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass
class IdempotentCall:
    """`replay` is the stored response when the key has been used already; otherwise the
    route does its work and calls `store` with what it answers."""

    session: AsyncSession
    user_id: uuid.UUID
    route: str
    key: str
    fingerprint: str
    ttl: timedelta
    replay: JSONResponse | None
    expired: IdempotencyRecord | None

    def store(self, status_code: int, response: BaseModel) -> None:
        """Keep the response under the key, in the request's transaction (written at its next
        flush). Call it only for a response whose writes commit."""
        if self.replay is not None:
            raise RuntimeError("a replayed call has nothing to store")
        body = response.model_dump(mode="json")
        expires_at = func.now() + self.ttl
        if self.expired is not None:  # a record past its time the purge has not reached yet
            record = self.expired
            record.fingerprint = self.fingerprint
            record.response_status = status_code
            record.response_body = body
            record.created_at = func.now()
            record.expires_at = expires_at
            return
        self.session.add(
            IdempotencyRecord(
                user_id=self.user_id,
                route=self.route,
                key=self.key,
                fingerprint=self.fingerprint,
                response_status=status_code,
                response_body=body,
                expires_at=expires_at,
            )
        )


async def begin(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    route: str,
    key: str,
    body: Mapping[str, Any],
    ttl: timedelta,
) -> IdempotentCall:
    """Claim the key for this transaction: raises IdempotencyKeyInUse (409) while another
    transaction holds it, IdempotencyKeyReused (422) for a different body; else the call,
    with `replay` set when the key's request has completed."""
    scope = f"{user_id}/{route}/{key}"
    locked = await session.scalar(
        select(func.pg_try_advisory_xact_lock(func.hashtextextended(scope, 0)))
    )
    if not locked:
        raise IdempotencyKeyInUse()
    # A statement of its own, after the lock: its snapshot sees a holder's committed record.
    found = (
        await session.execute(
            select(
                IdempotencyRecord, (IdempotencyRecord.expires_at > func.now()).label("live")
            ).where(
                IdempotencyRecord.user_id == user_id,
                IdempotencyRecord.route == route,
                IdempotencyRecord.key == key,
            )
        )
    ).first()
    digest = fingerprint(body)
    call = IdempotentCall(session, user_id, route, key, digest, ttl, replay=None, expired=None)
    if found is None:
        return call
    record, live = found
    if not live:
        call.expired = record
        return call
    if record.fingerprint != digest:
        raise IdempotencyKeyReused()
    call.replay = JSONResponse(
        record.response_body,
        status_code=record.response_status,
        headers={REPLAYED_HEADER: "true"},
    )
    return call


async def purge_expired_keys(session: AsyncSession) -> int:
    """Delete the records past their time (the periodic job's work)."""
    result = await session.execute(
        delete(IdempotencyRecord).where(IdempotencyRecord.expires_at <= func.now())
    )
    return int(getattr(result, "rowcount", 0))
