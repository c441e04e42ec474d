import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column, validates

from storefront.auth.contact import KEY_MAX_LENGTH, lookup_key
from storefront.core.database import Base, Timestamped


class Role(StrEnum):
    CUSTOMER = "customer"
    ADMIN = "admin"


class User(Timestamped, Base):
    __tablename__ = "users"

    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    # Stored as the user typed them; the `*_key` columns (`contact.lookup_key`) decide which
    # two are the same, for uniqueness and for every lookup.
    username: Mapped[str] = mapped_column(String(20))
    username_key: Mapped[str] = mapped_column(String(20), unique=True)
    email: Mapped[str] = mapped_column(String(320))
    email_key: Mapped[str] = mapped_column(String(KEY_MAX_LENGTH), unique=True)
    mobile: Mapped[str] = mapped_column(String(20), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    full_name: Mapped[str | None] = mapped_column(String(100))
    role: Mapped[Role] = mapped_column(String(16), default=Role.CUSTOMER)
    is_email_verified: Mapped[bool] = mapped_column(Boolean, default=False)
    is_mobile_verified: Mapped[bool] = mapped_column(Boolean, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    account_locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    failed_login_count: Mapped[int] = mapped_column(Integer, default=0)
    # Access tokens carry the version they were issued under; bumping it (password change or
    # reset, account deletion) makes every earlier access token fail at once.
    session_version: Mapped[int] = mapped_column(Integer, default=1)

    # The keys follow their values whatever sets them (registration, a profile change, deletion).
    @validates("username")
    def _set_username_key(self, _: str, username: str) -> str:
        self.username_key = lookup_key(username)
        return username

    @validates("email")
    def _set_email_key(self, _: str, email: str) -> str:
        self.email_key = lookup_key(email)
        return email


class LoginFailure(Base):
    """Failed logins for identifiers that match no account, counted exactly like an account's,
    so that a lockout (423) never tells which accounts exist."""

    __tablename__ = "login_failures"

    # Text: a key can be longer than the identifier typed ("İ" lowercases to two characters).
    identifier: Mapped[str] = mapped_column(Text, primary_key=True)
    failed_count: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class RefreshToken(Base):
    """Opaque refresh tokens, stored as SHA-256 hashes; rotated on use. A family is the chain
    of tokens from one login: reusing a rotated token revokes the whole family."""

    __tablename__ = "refresh_tokens"

    token_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.user_id", ondelete="CASCADE"), index=True
    )
    family_id: Mapped[uuid.UUID] = mapped_column(index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class RevokedAccessToken(Base):
    """Access tokens ended before they expire (logout), by jti. A row is kept until the token
    would have expired anyway, then purged."""

    __tablename__ = "revoked_access_tokens"

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class CodePurpose(StrEnum):
    VERIFY_EMAIL = "verify_email"
    VERIFY_MOBILE = "verify_mobile"
    RESET_PASSWORD = "reset_password"  # noqa: S105 (a purpose, not a password)


class OneTimeCode(Base):
    """A 6-digit code bound to one user and one purpose, stored as a keyed hash."""

    __tablename__ = "one_time_codes"
    __table_args__ = (Index("ix_one_time_codes_user_purpose", "user_id", "purpose"),)

    code_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.user_id", ondelete="CASCADE"))
    purpose: Mapped[CodePurpose] = mapped_column(String(32))
    code_hash: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    consumed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
