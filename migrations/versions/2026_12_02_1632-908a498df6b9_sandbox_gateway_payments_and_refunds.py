"""payments: the sandbox gateway's own orders and refunds

Revision ID: 908a498df6b9
Revises: fee4b02796b5
Create Date: 2026-12-02 16:32:21.748119
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "908a498df6b9"
down_revision: str | None = "fee4b02796b5"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sandbox_gateway_payments",
        sa.Column("gateway_order_id", sa.String(length=40), nullable=False),
        sa.Column("idempotency_key", sa.String(length=40), nullable=False),
        sa.Column("reference", sa.String(length=200), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("gateway_payment_id", sa.String(length=40), nullable=True),
        sa.Column("refunded_minor", sa.BigInteger(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "status IN ('created', 'pending', 'captured', 'failed')",
            name=op.f("ck_sandbox_gateway_payments_status_known"),
        ),
        sa.CheckConstraint(
            "amount_minor > 0", name=op.f("ck_sandbox_gateway_payments_amount_positive")
        ),
        sa.CheckConstraint(
            "refunded_minor >= 0 AND refunded_minor <= amount_minor",
            name=op.f("ck_sandbox_gateway_payments_refunds_within_amount"),
        ),
        sa.PrimaryKeyConstraint("gateway_order_id", name=op.f("pk_sandbox_gateway_payments")),
        sa.UniqueConstraint(
            "gateway_payment_id", name=op.f("uq_sandbox_gateway_payments_gateway_payment_id")
        ),
        sa.UniqueConstraint(
            "idempotency_key", name=op.f("uq_sandbox_gateway_payments_idempotency_key")
        ),
    )
    op.create_table(
        "sandbox_gateway_refunds",
        sa.Column("gateway_refund_id", sa.String(length=40), nullable=False),
        sa.Column("gateway_order_id", sa.String(length=40), nullable=False),
        sa.Column("idempotency_key", sa.String(length=40), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "amount_minor > 0", name=op.f("ck_sandbox_gateway_refunds_amount_positive")
        ),
        sa.ForeignKeyConstraint(
            ["gateway_order_id"],
            ["sandbox_gateway_payments.gateway_order_id"],
            name=op.f("fk_sandbox_gateway_refunds_gateway_order_id_sandbox_gateway_payments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("gateway_refund_id", name=op.f("pk_sandbox_gateway_refunds")),
        sa.UniqueConstraint(
            "idempotency_key", name=op.f("uq_sandbox_gateway_refunds_idempotency_key")
        ),
    )
    op.create_index(
        op.f("ix_sandbox_gateway_refunds_gateway_order_id"),
        "sandbox_gateway_refunds",
        ["gateway_order_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_sandbox_gateway_refunds_gateway_order_id"), table_name="sandbox_gateway_refunds"
    )
    op.drop_table("sandbox_gateway_refunds")
    op.drop_table("sandbox_gateway_payments")
