"""categories

Revision ID: 4905585df26a
Revises:
Create Date: 2026-11-25 02:48:36.718037
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "4905585df26a"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "categories",
        sa.Column("category_id", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
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
        sa.PrimaryKeyConstraint("category_id", name=op.f("pk_categories")),
    )


def downgrade() -> None:
    op.drop_table("categories")
