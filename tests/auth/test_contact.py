import re

import pytest

from storefront.auth.contact import (
    email_key,
    identifier_kind,
    normalize_email,
    normalize_identifier,
    normalize_mobile,
    normalize_username,
    username_key,
)

USERNAME_LENGTH = "Username must be 6-20 characters."
USERNAME_CHARACTERS = "Username may contain only letters, digits, '_' and '.'."
EMAIL = "Enter a valid email address."
MOBILE = "Enter a valid mobile number."


def exactly(message: str) -> str:
    return f"^{re.escape(message)}$"


@pytest.mark.parametrize("username", ["john_doe", "John.Doe", "abc123", "a" * 20, "______"])
def test_valid_usernames_are_kept_as_given(username: str) -> None:
    assert normalize_username(username) == username


@pytest.mark.parametrize("username", ["", "john5", "a" * 21, "ab!"])
def test_usernames_of_the_wrong_length_are_refused(username: str) -> None:
    with pytest.raises(ValueError, match=exactly(USERNAME_LENGTH)):
        normalize_username(username)


@pytest.mark.parametrize(
    "username", ["john doe", "john-doe", "john@doe", "jöhn_doe", "john_doe\n", "john_٣٣"]
)
def test_usernames_with_other_characters_are_refused(username: str) -> None:
    with pytest.raises(ValueError, match=exactly(USERNAME_CHARACTERS)):
        normalize_username(username)


def test_username_keys_ignore_case() -> None:
    assert username_key("John.Doe") == username_key("JOHN.doe") == "john.doe"


@pytest.mark.parametrize(
    ("email", "normalized"),
    [
        ("john.doe@example.com", "john.doe@example.com"),
        ("John.Doe@EXAMPLE.COM", "John.Doe@example.com"),
        ("x@Bücher.DE", "x@bücher.de"),
    ],
)
def test_valid_emails_get_a_lowercase_domain(email: str, normalized: str) -> None:
    assert normalize_email(email) == normalized


@pytest.mark.parametrize(
    "email", ["", "john.doe", "john@", "@example.com", "john doe@example.com", "a@b@example.com"]
)
def test_invalid_emails_are_refused_without_echoing_them(email: str) -> None:
    with pytest.raises(ValueError, match=exactly(EMAIL)):
        normalize_email(email)


def test_email_keys_ignore_case() -> None:
    assert email_key("John.Doe@EXAMPLE.com") == email_key("john.doe@example.COM")
    assert email_key("John.Doe@EXAMPLE.com") == "john.doe@example.com"


@pytest.mark.parametrize(
    ("mobile", "region", "e164"),
    [
        ("9876543210", "IN", "+919876543210"),
        ("98765 43210", "IN", "+919876543210"),
        ("098765-43210", "IN", "+919876543210"),
        ("+919876543210", "US", "+919876543210"),
        ("+14155552671", "IN", "+14155552671"),
        ("+14155552671", "GB", "+14155552671"),
        ("(415) 555-2671", "US", "+14155552671"),
    ],
)
def test_valid_mobiles_become_e164(mobile: str, region: str, e164: str) -> None:
    assert normalize_mobile(mobile, region) == e164


@pytest.mark.parametrize(
    ("mobile", "region"),
    [("12345", "IN"), ("", "IN"), ("not a number", "IN"), ("+1234", "IN"), ("9876543210", "US")],
)
def test_invalid_mobiles_are_refused_without_echoing_them(mobile: str, region: str) -> None:
    with pytest.raises(ValueError, match=exactly(MOBILE)):
        normalize_mobile(mobile, region)


@pytest.mark.parametrize(
    ("identifier", "kind"),
    [
        ("john.doe@example.com", "email"),
        ("@", "email"),
        ("+14155552671", "mobile"),
        ("+junk", "mobile"),
        ("9876543210", "mobile"),
        ("98765-43210", "mobile"),
        (" 98765 43210 ", "mobile"),
        ("john_doe", "username"),
        ("john123", "username"),
        ("---", "username"),
        ("", "username"),
    ],
)
def test_identifier_kind(identifier: str, kind: str) -> None:
    assert identifier_kind(identifier) == kind


@pytest.mark.parametrize(
    ("identifier", "key"),
    [
        ("John.Doe@EXAMPLE.com", "john.doe@example.com"),
        (" John.Doe@EXAMPLE.com ", "john.doe@example.com"),
        ("Not An@Email", "not an@email"),
        ("9876543210", "+919876543210"),
        ("+91 98765 43210", "+919876543210"),
        ("12-345", "12345"),
        ("+1 234", "1234"),
        ("John_Doe", "john_doe"),
    ],
)
def test_normalize_identifier_gives_the_lookup_key_and_never_raises(
    identifier: str, key: str
) -> None:
    assert normalize_identifier(identifier, "IN") == key


def test_the_prefix_of_deleted_accounts_is_reserved() -> None:
    with pytest.raises(ValueError, match=exactly("This username is not available.")):
        normalize_username("Deleted_abc123")


@pytest.mark.parametrize("username", ["123456", "98123456789"])
def test_digits_only_usernames_are_refused(username: str) -> None:
    with pytest.raises(ValueError, match=exactly("Username must not be only digits.")):
        normalize_username(username)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("İx@example.com", "i\u0307x@example.com"),  # Python's lower() of İ is i + a dot
        ("\uff4a\uff4f\uff48\uff4e@example.com", "john@example.com"),  # fullwidth letters
        ("STRASSE@example.com", "straße@example.com"),
    ],
)
def test_emails_that_fold_together_have_one_key(one: str, other: str) -> None:
    assert email_key(one) == email_key(other)
    assert normalize_identifier(one, "IN") == normalize_identifier(other, "IN") == email_key(one)


def test_an_email_whose_key_outgrows_the_column_is_refused() -> None:
    with pytest.raises(ValueError, match=exactly(EMAIL)):
        normalize_email("\ufdfa" * 30 + "@example.com")  # one character, 18 in NFKC
