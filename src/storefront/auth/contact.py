"""Usernames, emails and mobile numbers: validated, normalised, and keyed for lookups.

Each `normalize_*` returns the value to store or raises `ValueError` with the message to show;
the messages never repeat the input."""

import re
import unicodedata
from typing import Literal

import phonenumbers
from email_validator import EmailNotValidError, validate_email

USERNAME_MIN_LENGTH = 6
USERNAME_MAX_LENGTH = 20
USERNAME_LENGTH_MESSAGE = (
    f"Username must be {USERNAME_MIN_LENGTH}-{USERNAME_MAX_LENGTH} characters."
)
USERNAME_CHARACTERS_MESSAGE = "Username may contain only letters, digits, '_' and '.'."
# Deleted accounts are renamed "deleted_<hex>"; nobody may register a name that looks like one.
RESERVED_USERNAME_PREFIX = "deleted_"
USERNAME_RESERVED_MESSAGE = "This username is not available."
# Login reads a digits-only identifier as a mobile number: such a username could never log in,
# and its failed logins would count against the account that has that number.
USERNAME_DIGITS_MESSAGE = "Username must not be only digits."
# The `*_key` columns hold at most this many characters.
KEY_MAX_LENGTH = 320
EMAIL_MESSAGE = "Enter a valid email address."
MOBILE_MESSAGE = "Enter a valid mobile number."

_USERNAME_CHARACTERS = re.compile(r"[A-Za-z0-9_.]+")
_MOBILE_LIKE = re.compile(r"\+.*|[0-9 -]*[0-9][0-9 -]*")

IdentifierKind = Literal["email", "mobile", "username"]


def normalize_username(value: str) -> str:
    """The username as given (case kept) once it passes the length and character rules."""
    if not USERNAME_MIN_LENGTH <= len(value) <= USERNAME_MAX_LENGTH:
        raise ValueError(USERNAME_LENGTH_MESSAGE)
    if not _USERNAME_CHARACTERS.fullmatch(value):
        raise ValueError(USERNAME_CHARACTERS_MESSAGE)
    if value.lower().startswith(RESERVED_USERNAME_PREFIX):
        raise ValueError(USERNAME_RESERVED_MESSAGE)
    if identifier_kind(value) != "username":
        raise ValueError(USERNAME_DIGITS_MESSAGE)
    return value


def lookup_key(value: str) -> str:
    """What makes two usernames, or two emails, the same account: Unicode compatibility forms
    and case folded together (NFKC, casefold, NFKC), so `İx@…` and `i̇x@…` are one address.

    Computed here only and stored in the `*_key` columns that uniqueness and lookups use:
    SQL's lower() maps case differently (per collation) and must never stand in for it."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", value).casefold())


def username_key(value: str) -> str:
    return lookup_key(value)


def normalize_email(value: str) -> str:
    """email-validator's normalised form: the local part as given, the domain in lowercase."""
    try:
        normalized = validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError:
        raise ValueError(EMAIL_MESSAGE) from None
    if len(lookup_key(normalized)) > KEY_MAX_LENGTH:  # compatibility forms can expand
        raise ValueError(EMAIL_MESSAGE)
    return normalized


def email_key(value: str) -> str:
    """The lookup key of an address as it would be stored."""
    return lookup_key(normalize_email(value))


def normalize_mobile(value: str, region: str) -> str:
    """The number in E.164 (`+919876543210`); national numbers are read for `region`."""
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        raise ValueError(MOBILE_MESSAGE) from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError(MOBILE_MESSAGE)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def identifier_kind(value: str) -> IdentifierKind:
    """Which of the three a login identifier is: `@` means email, `+` or digits mean mobile."""
    if "@" in value:
        return "email"
    if _MOBILE_LIKE.fullmatch(value.strip()):
        return "mobile"
    return "username"


def normalize_identifier(value: str, region: str) -> str:
    """The key to look an account up by (and to count failed logins against); never raises.

    A value that does not validate still gets a stable key, so unknown identifiers are counted
    the same way as known ones."""
    value = value.strip()
    match identifier_kind(value):
        case "email":
            return _email_lookup_key(value)
        case "mobile":
            return _mobile_lookup_key(value, region)
        case "username":
            return username_key(value)


def _email_lookup_key(value: str) -> str:
    try:
        return email_key(value)
    except ValueError:
        return lookup_key(value)


def _mobile_lookup_key(value: str, region: str) -> str:
    try:
        return normalize_mobile(value, region)
    except ValueError:
        return re.sub(r"[^0-9]", "", value)
