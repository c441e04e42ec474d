"""The rules a new password must follow; every broken rule is reported, in a fixed order."""

from collections.abc import Callable
from functools import cache

MIN_LENGTH = 8
MAX_LENGTH = 128
COMMON_PASSWORD_COUNT = 10_000

_COMPOSITION_RULES: tuple[tuple[Callable[[str], bool], str], ...] = (
    (str.isupper, "Password must contain at least one uppercase letter."),
    (str.islower, "Password must contain at least one lowercase letter."),
    (str.isdigit, "Password must contain at least one digit."),
    (lambda char: not char.isalnum(), "Password must contain at least one special character."),
)


@cache
def _common_passwords() -> frozenset[str]:
    # Imported here: the module holds zxcvbn's 30,000-word lists, needed only on first use.
    from zxcvbn.frequency_lists import FREQUENCY_LISTS  # type: ignore[import-untyped]  # noqa: PLC0415

    ranked: list[str] = FREQUENCY_LISTS["passwords"]
    return frozenset(ranked[:COMMON_PASSWORD_COUNT])


def is_common_password(password: str) -> bool:
    """Whether the password, ignoring case, is among the 10,000 most common ones."""
    return password.lower() in _common_passwords()


def password_problems(password: str, *, username: str | None) -> list[str]:
    """The message of every rule `password` breaks; empty when it is acceptable."""
    problems = []
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        problems.append(f"Password must be {MIN_LENGTH}-{MAX_LENGTH} characters.")
    problems.extend(message for test, message in _COMPOSITION_RULES if not any(map(test, password)))
    if username and username.casefold() in password.casefold():
        problems.append("Password must not contain the username.")
    if is_common_password(password):
        problems.append("Password is too common.")
    return problems
