"""The auth module's façade: what other modules may use of accounts and of who is calling."""

from storefront.auth.account import (
    Account,
    change_password,
    delete_account,
    get_account,
    lock_account,
    update_profile,
    usernames,
)
from storefront.auth.contact import normalize_mobile
from storefront.auth.context import AuthContext, AuthDep
from storefront.auth.dependencies import AdminUser, CurrentUser, OptionalUser
from storefront.auth.schemas import TokenResponse
from storefront.auth.sessions import IssuedTokens
from storefront.auth.tokens import AccessClaims

__all__ = [
    "AccessClaims",
    "Account",
    "AdminUser",
    "AuthContext",
    "AuthDep",
    "CurrentUser",
    "IssuedTokens",
    "OptionalUser",
    "TokenResponse",
    "change_password",
    "delete_account",
    "get_account",
    "lock_account",
    "normalize_mobile",
    "update_profile",
    "usernames",
]
