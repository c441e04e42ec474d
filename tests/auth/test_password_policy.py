import pytest

from storefront.auth.password_policy import is_common_password, password_problems

LENGTH = "Password must be 8-128 characters."
UPPERCASE = "Password must contain at least one uppercase letter."
LOWERCASE = "Password must contain at least one lowercase letter."
DIGIT = "Password must contain at least one digit."
SPECIAL = "Password must contain at least one special character."
USERNAME = "Password must not contain the username."
COMMON = "Password is too common."


@pytest.mark.parametrize(
    "password",
    [
        "John@123$",
        "Aa1!aaaa",
        "Aa1!" + "a" * 124,
        "Pass word 1",
        "Émile-2024x",
        "Ünïcode pässwörd with spaces — 🔐 and more than sixty-four characters, 1 kept!",
    ],
)
def test_a_password_that_breaks_no_rule_has_no_problems(password: str) -> None:
    assert password_problems(password, username="john_doe") == []


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("Aa1!aaa", LENGTH),
        ("Aa1!" + "a" * 125, LENGTH),
        ("john@123$", UPPERCASE),
        ("JOHN@123$", LOWERCASE),
        ("John@abc$", DIGIT),
        ("John1234", SPECIAL),
    ],
)
def test_each_rule_reports_its_own_message(password: str, problem: str) -> None:
    assert password_problems(password, username=None) == [problem]


def test_length_counts_code_points_not_bytes() -> None:
    assert password_problems("Éé1!ßøπ", username=None) == [LENGTH]
    assert password_problems("Éé1!ßøπ€", username=None) == []


def test_letters_and_digits_are_unicode_aware() -> None:
    assert password_problems("ÉCOLE-été-٣", username=None) == []


def test_every_broken_rule_is_reported_in_order() -> None:
    assert password_problems("", username="john_doe") == [
        LENGTH,
        UPPERCASE,
        LOWERCASE,
        DIGIT,
        SPECIAL,
    ]
    assert password_problems("abc", username=None) == [LENGTH, UPPERCASE, DIGIT, SPECIAL]


def test_the_username_must_not_appear_in_any_case() -> None:
    assert password_problems("My-JOHN_DOE-1", username="john_doe") == [USERNAME]
    assert password_problems("My-JOHN_DOE-1", username="jane_doe") == []


@pytest.mark.parametrize("username", [None, ""])
def test_the_username_rule_needs_a_username(username: str | None) -> None:
    assert password_problems("Aa1!aaaa", username=username) == []


@pytest.mark.parametrize("password", ["P@ssw0rd", "Sasha_007", "1qaz!QAZ"])
def test_common_passwords_are_refused_even_when_every_other_rule_passes(password: str) -> None:
    assert password_problems(password, username=None) == [COMMON]


def test_all_problems_together() -> None:
    assert password_problems("sasha_007", username="sasha_007") == [UPPERCASE, USERNAME, COMMON]


@pytest.mark.parametrize("password", ["123456", "password", "PASSWORD", "Dragon", "qwerty"])
def test_the_most_common_passwords_are_common_in_any_case(password: str) -> None:
    assert is_common_password(password)


@pytest.mark.parametrize("password", ["John@123$", "correct horse battery staple", ""])
def test_uncommon_passwords_are_not_common(password: str) -> None:
    assert not is_common_password(password)
