"""The address book: every field checked and reported at once, at most MAX_ADDRESSES per user,
and exactly one default while the user has any address."""

import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any, TypeVar

import phonenumbers
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storefront.auth.service import lock_account, normalize_mobile
from storefront.core.errors import Conflict, InvalidInput, NotFound
from storefront.core.schemas import FieldError
from storefront.users.models import Address
from storefront.users.schemas import AddressCreate, AddressUpdate

# Not a setting yet (config.py belongs to core): a module constant until one is needed.
MAX_ADDRESSES = 20

NOT_FOUND = "Address not found."
TOO_MANY = f"An address book holds at most {MAX_ADDRESSES} addresses. Delete one to add another."
REQUIRED = "This field is required."
COUNTRY_MESSAGE = "Enter a valid ISO 3166-1 alpha-2 country code."
KEEP_A_DEFAULT = FieldError(
    field="is_default",
    message="You always have a default address. Make another address the default instead.",
)

# Free-text fields and their longest length; the optional ones are stored as None when blank.
_TEXT_LIMITS = {
    "full_name": 100,
    "line1": 200,
    "line2": 200,
    "landmark": 200,
    "city": 100,
    "state": 100,
}
_OPTIONAL_TEXT = frozenset({"line2", "landmark"})
_FIELDS = (*_TEXT_LIMITS, "mobile", "postal_code", "country", "label")

# Postal codes, upper-cased with single spaces, by country; other countries get a loose rule.
_POSTAL_CODES = {
    "IN": (re.compile(r"[1-9][0-9]{5}"), "Enter a valid 6-digit PIN code."),
    "US": (re.compile(r"[0-9]{5}(-[0-9]{4})?"), "Enter a valid ZIP code: 12345 or 12345-6789."),
    "GB": (
        re.compile(r"GIR 0AA|[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][A-Z]{2}"),
        "Enter a valid UK postcode.",
    ),
}
_ANY_POSTAL_CODE = (
    re.compile(r"(?=.*[A-Z0-9])[A-Z0-9 -]{3,10}"),
    "Enter a valid postal code: 3-10 letters, digits, spaces or dashes.",
)

T = TypeVar("T")


async def list_addresses(session: AsyncSession, user_id: uuid.UUID) -> Sequence[Address]:
    """The default first, then the newest."""
    query = (
        select(Address)
        .where(Address.user_id == user_id)
        .order_by(Address.is_default.desc(), Address.created_at.desc(), Address.address_id)
    )
    return (await session.scalars(query)).all()


async def get_address(session: AsyncSession, user_id: uuid.UUID, address_id: uuid.UUID) -> Address:
    address = await session.scalar(
        select(Address).where(Address.address_id == address_id, Address.user_id == user_id)
    )
    if address is None:
        raise NotFound(NOT_FOUND)
    return address


async def create_address(
    session: AsyncSession, user_id: uuid.UUID, region: str, request: AddressCreate
) -> Address:
    """The first address is the default whatever the request says."""
    values = request.model_dump(exclude={"is_default"})
    if values["country"] is None:
        values["country"] = region
    address = Address(user_id=user_id, is_default=False, **_validated(values, region))
    book = await _locked_book(session, user_id)
    if len(book) >= MAX_ADDRESSES:
        raise Conflict(TOO_MANY)
    session.add(address)
    if request.is_default or not book:
        await _make_default(session, book, address)
    await session.flush()
    return address


async def update_address(
    session: AsyncSession,
    user_id: uuid.UUID,
    region: str,
    address_id: uuid.UUID,
    request: AddressUpdate,
) -> Address:
    """Only the fields sent change; the result is checked as a whole (a new country re-checks
    the stored postal code and mobile)."""
    book = await _locked_book(session, user_id)
    address = _find(book, address_id)
    if request.is_default is False and address.is_default:
        raise InvalidInput(errors=[KEEP_A_DEFAULT])
    stored = {field: getattr(address, field) for field in _FIELDS}
    changes = request.model_dump(exclude_unset=True, exclude={"is_default"})
    for field, value in _validated(stored | changes, region).items():
        setattr(address, field, value)
    if request.is_default:
        await _make_default(session, book, address)
    await session.flush()
    return address


async def delete_address(session: AsyncSession, user_id: uuid.UUID, address_id: uuid.UUID) -> None:
    """Deleting the default makes the most recent other address the default."""
    book = await _locked_book(session, user_id)
    address = _find(book, address_id)
    was_default = address.is_default
    await session.delete(address)
    # Flushed now: a flush runs updates before deletes, and the new default must wait for this.
    await session.flush()
    rest = [other for other in book if other is not address]
    if was_default and rest:
        await _make_default(session, rest, rest[0])


async def delete_all_addresses(session: AsyncSession, user_id: uuid.UUID) -> None:
    await session.execute(delete(Address).where(Address.user_id == user_id))


async def _locked_book(session: AsyncSession, user_id: uuid.UUID) -> list[Address]:
    """The user's addresses, newest first, with the user and each address row locked."""
    # The account row first: even two first addresses of one user are serialised by it.
    await lock_account(session, user_id)
    query = (
        select(Address)
        .where(Address.user_id == user_id)
        .order_by(Address.created_at.desc(), Address.address_id)
        .with_for_update()
    )
    return list((await session.scalars(query)).all())


def _find(book: Sequence[Address], address_id: uuid.UUID) -> Address:
    """Another user's address is not in the book: it answers exactly like a missing one."""
    address = next((a for a in book if a.address_id == address_id), None)
    if address is None:
        raise NotFound(NOT_FOUND)
    return address


async def _make_default(session: AsyncSession, book: Sequence[Address], address: Address) -> None:
    """Clear the old default, then set the new one, flushed in that order: the unique index
    allows one default per user at any moment."""
    for other in book:
        if other.is_default and other is not address:
            other.is_default = False
    await session.flush()
    address.is_default = True
    await session.flush()


def _validated(values: Mapping[str, Any], region: str) -> dict[str, Any]:
    """The columns to store for a whole address; InvalidInput names every offending field."""
    errors: list[FieldError] = []
    clean: dict[str, Any] = {"label": values["label"]}
    for field, max_length in _TEXT_LIMITS.items():
        rule = partial(_text, max_length=max_length, optional=field in _OPTIONAL_TEXT)
        clean[field] = _checked(errors, field, rule, values[field])
    country = _checked(errors, "country", _country, values["country"])
    clean["country"] = country
    clean["mobile"] = _checked(
        errors,
        "mobile",
        lambda v: normalize_mobile(_required(v), country or region),
        values["mobile"],
    )
    clean["postal_code"] = _checked(
        errors, "postal_code", lambda v: _postal_code(v, country), values["postal_code"]
    )
    if errors:
        raise InvalidInput(errors=errors)
    return clean


def _checked(
    errors: list[FieldError], field: str, rule: Callable[[Any], T], value: Any
) -> T | None:
    try:
        return rule(value)
    except ValueError as exc:
        errors.append(FieldError(field=field, message=str(exc)))
        return None


def _required(value: str | None) -> str:
    text = (value or "").strip()
    if not text:
        raise ValueError(REQUIRED)
    return text


def _text(value: str | None, max_length: int, *, optional: bool) -> str | None:
    if optional and not (value or "").strip():
        return None
    text = _required(value)
    if len(text) > max_length:
        raise ValueError(f"Must be at most {max_length} characters.")
    return text


def _country(value: str | None) -> str:
    code = _required(value).upper()
    if code not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError(COUNTRY_MESSAGE)
    return code


def _postal_code(value: str | None, country: str | None) -> str:
    code = " ".join(_required(value).upper().split())
    if country == "GB":  # the inward code is always the last three characters
        compact = code.replace(" ", "")
        code = f"{compact[:-3]} {compact[-3:]}"
    pattern, message = _POSTAL_CODES.get(country or "", _ANY_POSTAL_CODE)
    if not pattern.fullmatch(code):
        raise ValueError(message)
    return code
