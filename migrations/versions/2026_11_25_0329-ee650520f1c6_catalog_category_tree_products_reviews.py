"""catalog: category tree, products, reviews

Revision ID: ee650520f1c6
Revises: 7b5e44e48463
Create Date: 2026-11-25 03:29:28.522193
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "ee650520f1c6"
down_revision: str | None = "7b5e44e48463"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "products",
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("category_id", sa.String(length=16), nullable=False),
        sa.Column("slug", sa.String(length=240), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("brand", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("price", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("discount_price", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column(
            "effective_price",
            sa.Numeric(precision=12, scale=2),
            sa.Computed("coalesce(discount_price, price)", persisted=True),
            nullable=False,
        ),
        sa.Column("stock_quantity", sa.Integer(), nullable=False),
        sa.Column("image_urls", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("rating_sum", sa.Integer(), nullable=False),
        sa.Column("rating_count", sa.Integer(), nullable=False),
        sa.Column(
            "rating_avg",
            sa.Numeric(precision=3, scale=2),
            sa.Computed(
                "CASE WHEN rating_count > 0 THEN round(rating_sum::numeric / rating_count, 2) END",
                persisted=True,
            ),
            nullable=True,
        ),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column(
            "search_vector",
            postgresql.TSVECTOR(),
            sa.Computed(
                "setweight(to_tsvector('english', coalesce(name, '')), 'A') || "
                "setweight(to_tsvector('english', coalesce(brand, '')), 'B') || "
                "setweight(to_tsvector('english', coalesce(description, '')), 'C')",
                persisted=True,
            ),
            nullable=False,
        ),
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
            "discount_price IS NULL OR (discount_price > 0 AND discount_price < price)",
            name=op.f("ck_products_discount_below_price"),
        ),
        sa.CheckConstraint("price > 0", name=op.f("ck_products_price_positive")),
        sa.CheckConstraint(
            "rating_count >= 0 AND rating_sum >= 0", name=op.f("ck_products_ratings_not_negative")
        ),
        sa.CheckConstraint("stock_quantity >= 0", name=op.f("ck_products_stock_not_negative")),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["categories.category_id"],
            name=op.f("fk_products_category_id_categories"),
        ),
        sa.PrimaryKeyConstraint("product_id", name=op.f("pk_products")),
        sa.UniqueConstraint("slug", name=op.f("uq_products_slug")),
    )
    op.create_index(
        "ix_products_active_brand",
        "products",
        ["brand"],
        unique=False,
        postgresql_where=sa.text("is_active"),
    )
    op.create_index(
        "ix_products_active_category",
        "products",
        ["category_id", sa.literal_column("created_at DESC")],
        unique=False,
        postgresql_where=sa.text("is_active"),
    )
    op.create_index(
        "ix_products_active_newest",
        "products",
        [sa.literal_column("created_at DESC"), sa.literal_column("product_id DESC")],
        unique=False,
        postgresql_where=sa.text("is_active"),
    )
    op.create_index(
        "ix_products_active_price",
        "products",
        ["effective_price", "product_id"],
        unique=False,
        postgresql_where=sa.text("is_active"),
    )
    op.create_index(
        "ix_products_active_rating",
        "products",
        [
            sa.literal_column("rating_avg DESC NULLS LAST"),
            sa.literal_column("rating_count DESC"),
            "product_id",
        ],
        unique=False,
        postgresql_where=sa.text("is_active"),
    )
    op.create_index(
        "ix_products_search_vector",
        "products",
        ["search_vector"],
        unique=False,
        postgresql_using="gin",
    )
    op.create_table(
        "reviews",
        sa.Column("review_id", sa.Uuid(), nullable=False),
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
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
        sa.CheckConstraint("rating BETWEEN 1 AND 5", name=op.f("ck_reviews_rating_range")),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.product_id"], name=op.f("fk_reviews_product_id_products")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.user_id"], name=op.f("fk_reviews_user_id_users")
        ),
        sa.PrimaryKeyConstraint("review_id", name=op.f("pk_reviews")),
        sa.UniqueConstraint("product_id", "user_id", name="uq_reviews_product_id_user_id"),
    )
    op.create_index(
        "ix_reviews_product_newest",
        "reviews",
        ["product_id", sa.literal_column("created_at DESC")],
        unique=False,
    )
    op.add_column("categories", sa.Column("parent_id", sa.String(length=16), nullable=True))
    op.create_index(op.f("ix_categories_parent_id"), "categories", ["parent_id"], unique=False)
    op.create_foreign_key(
        op.f("fk_categories_parent_id_categories"),
        "categories",
        "categories",
        ["parent_id"],
        ["category_id"],
    )


def downgrade() -> None:
    op.drop_constraint(op.f("fk_categories_parent_id_categories"), "categories", type_="foreignkey")
    op.drop_index(op.f("ix_categories_parent_id"), table_name="categories")
    op.drop_column("categories", "parent_id")
    op.drop_index("ix_reviews_product_newest", table_name="reviews")
    op.drop_table("reviews")
    op.drop_index("ix_products_search_vector", table_name="products", postgresql_using="gin")
    op.drop_index(
        "ix_products_active_rating", table_name="products", postgresql_where=sa.text("is_active")
    )
    op.drop_index(
        "ix_products_active_price", table_name="products", postgresql_where=sa.text("is_active")
    )
    op.drop_index(
        "ix_products_active_newest", table_name="products", postgresql_where=sa.text("is_active")
    )
    op.drop_index(
        "ix_products_active_category", table_name="products", postgresql_where=sa.text("is_active")
    )
    op.drop_index(
        "ix_products_active_brand", table_name="products", postgresql_where=sa.text("is_active")
    )
    op.drop_table("products")
