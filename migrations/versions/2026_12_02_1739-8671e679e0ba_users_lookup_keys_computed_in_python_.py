"""users: lookup keys computed in Python for usernames and emails

SQL's lower() and Python's case mapping disagree (`İ`), so two accounts could hold one address
and a login could land in the other. Each user gets `username_key` and `email_key` (NFKC,
casefold, NFKC, as `storefront.auth.contact.lookup_key`), unique, in place of the lower()
indexes. Existing rows are backfilled; where two emails now share a key, the verified (else the
oldest) account keeps it and the others get a key no login can name (they still log in by
username or mobile, and keep their stored email).

Revision ID: 8671e679e0ba
Revises: 98fab94a1528
Create Date: 2026-12-02 17:39:41.650985
"""

import logging
import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "8671e679e0ba"
down_revision: str | None = "98fab94a1528"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_log = logging.getLogger("alembic.runtime.migration")

_users = sa.table(
    "users",
    sa.column("user_id", sa.Uuid()),
    sa.column("username", sa.String()),
    sa.column("email", sa.String()),
    sa.column("is_email_verified", sa.Boolean()),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("username_key", sa.String()),
    sa.column("email_key", sa.String()),
)


def _lookup_key(value: str) -> str:
    # A copy of storefront.auth.contact.lookup_key as of this revision (migrations stay fixed).
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", value).casefold())


def upgrade() -> None:
    op.add_column("users", sa.Column("username_key", sa.String(length=20), nullable=True))
    op.add_column("users", sa.Column("email_key", sa.String(length=320), nullable=True))
    _backfill()
    op.alter_column("users", "username_key", nullable=False)
    op.alter_column("users", "email_key", nullable=False)
    op.drop_index("uq_users_email_lower", table_name="users")
    op.drop_index("uq_users_username_lower", table_name="users")
    op.create_unique_constraint(op.f("uq_users_email_key"), "users", ["email_key"])
    op.create_unique_constraint(op.f("uq_users_username_key"), "users", ["username_key"])


def _backfill() -> None:
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(_users.c.user_id, _users.c.username, _users.c.email).order_by(
            _users.c.is_email_verified.desc(), _users.c.created_at, _users.c.user_id
        )
    ).all()
    # Usernames are ASCII and were unique ignoring case: their keys cannot collide.
    taken: set[str] = set()
    displaced = 0
    for user_id, username, email in rows:
        email_key = _lookup_key(email)[:320]
        if email_key in taken:
            # No "@": a login identifier without one is never compared with email keys.
            email_key = f"duplicate:{user_id}"
            displaced += 1
        taken.add(email_key)
        connection.execute(
            sa.update(_users)
            .where(_users.c.user_id == user_id)
            .values(username_key=_lookup_key(username), email_key=email_key)
        )
    if displaced:
        _log.warning(
            "%d account(s) share an email address with an older or verified account once case "
            "is folded; their email no longer logs in (username and mobile still do).",
            displaced,
        )


def downgrade() -> None:
    op.drop_constraint(op.f("uq_users_username_key"), "users", type_="unique")
    op.drop_constraint(op.f("uq_users_email_key"), "users", type_="unique")
    op.create_index(
        "uq_users_username_lower", "users", [sa.literal_column("lower(username)")], unique=True
    )
    op.create_index(
        "uq_users_email_lower", "users", [sa.literal_column("lower(email)")], unique=True
    )
    op.drop_column("users", "email_key")
    op.drop_column("users", "username_key")
