"""auth revoked access tokens, login failure keys as text

Revision ID: 98fab94a1528
Revises: 5217134b22eb
Create Date: 2026-12-02 16:36:29.648834
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "98fab94a1528"
down_revision: str | None = "5217134b22eb"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "revoked_access_tokens",
        sa.Column("jti", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("jti", name=op.f("pk_revoked_access_tokens")),
    )
    op.create_index(
        op.f("ix_revoked_access_tokens_expires_at"),
        "revoked_access_tokens",
        ["expires_at"],
        unique=False,
    )
    op.alter_column(
        "login_failures",
        "identifier",
        existing_type=sa.VARCHAR(length=320),
        type_=sa.Text(),
        existing_nullable=False,
    )


def downgrade() -> None:
    # Keys that no longer fit only count failures of identifiers that match no account.
    op.execute("DELETE FROM login_failures WHERE length(identifier) > 320")
    op.alter_column(
        "login_failures",
        "identifier",
        existing_type=sa.Text(),
        type_=sa.VARCHAR(length=320),
        existing_nullable=False,
    )
    op.drop_index(op.f("ix_revoked_access_tokens_expires_at"), table_name="revoked_access_tokens")
    op.drop_table("revoked_access_tokens")
