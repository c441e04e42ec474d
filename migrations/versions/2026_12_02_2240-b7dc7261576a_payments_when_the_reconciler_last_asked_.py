"""payments: when the reconciler last asked about an attempt, so each run takes the least
recently asked first instead of the same oldest batch of never-paid attempts every time

Revision ID: b7dc7261576a
Revises: 8671e679e0ba
Create Date: 2026-12-02 22:40:39.081421
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b7dc7261576a"
down_revision: str | None = "8671e679e0ba"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNSETTLED = sa.text("status IN ('created', 'pending')")


def upgrade() -> None:
    op.add_column(
        "payment_attempts", sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.drop_index("ix_payment_attempts_unsettled", table_name="payment_attempts")
    op.create_index(
        "ix_payment_attempts_unsettled",
        "payment_attempts",
        ["checked_at", "created_at"],
        postgresql_where=UNSETTLED,
    )


def downgrade() -> None:
    op.drop_index("ix_payment_attempts_unsettled", table_name="payment_attempts")
    op.create_index(
        "ix_payment_attempts_unsettled",
        "payment_attempts",
        ["created_at"],
        postgresql_where=UNSETTLED,
    )
    op.drop_column("payment_attempts", "checked_at")
