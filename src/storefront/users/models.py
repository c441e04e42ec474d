"""The address book. The users table itself belongs to auth."""

import uuid
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from storefront.core.database import Base, Timestamped


class AddressLabel(StrEnum):
    HOME = "home"
    WORK = "work"
    OTHER = "other"


class Address(Timestamped, Base):
    __tablename__ = "addresses"
    __table_args__ = (
        # At most one default per user, enforced by the database; the service keeps it exactly
        # one while the user has any address.
        Index(
            "uq_addresses_one_default_per_user",
            "user_id",
            unique=True,
            postgresql_where=text("is_default"),
        ),
    )
    # Server-set timestamps are read back in the same statement (RETURNING), so a response can
    # be built after a flush without another query.
    __mapper_args__ = {"eager_defaults": True}  # noqa: RUF012 (SQLAlchemy's declarative API)

    address_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.user_id", ondelete="CASCADE"), index=True
    )
    full_name: Mapped[str] = mapped_column(String(100))
    mobile: Mapped[str] = mapped_column(String(20))
    line1: Mapped[str] = mapped_column(String(200))
    line2: Mapped[str | None] = mapped_column(String(200))
    landmark: Mapped[str | None] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(100))
    postal_code: Mapped[str] = mapped_column(String(10))
    country: Mapped[str] = mapped_column(String(2))
    label: Mapped[AddressLabel] = mapped_column(String(8))
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
