"""The catalog's tables: the category tree, products and their reviews."""

import uuid
from decimal import Decimal
from typing import cast

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Computed,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from storefront.core.database import Base, Timestamped

SEARCH_CONFIG = "english"

# Weighted so that a word in the name (A) counts more than in the brand (B) or description (C).
SEARCH_VECTOR_SQL = (
    f"setweight(to_tsvector('{SEARCH_CONFIG}', coalesce(name, '')), 'A') || "
    f"setweight(to_tsvector('{SEARCH_CONFIG}', coalesce(brand, '')), 'B') || "
    f"setweight(to_tsvector('{SEARCH_CONFIG}', coalesce(description, '')), 'C')"
)


class Category(Timestamped, Base):
    __tablename__ = "categories"

    category_id: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("categories.category_id"), index=True)


class Product(Timestamped, Base):
    __tablename__ = "products"
    __table_args__ = (
        CheckConstraint("price > 0", name="price_positive"),
        CheckConstraint(
            "discount_price IS NULL OR (discount_price > 0 AND discount_price < price)",
            name="discount_below_price",
        ),
        CheckConstraint("stock_quantity >= 0", name="stock_not_negative"),
        CheckConstraint("rating_count >= 0 AND rating_sum >= 0", name="ratings_not_negative"),
        # Listings only ever show active products: partial indexes for each sort and filter.
        Index(
            "ix_products_active_newest",
            text("created_at DESC"),
            text("product_id DESC"),
            postgresql_where=text("is_active"),
        ),
        Index(
            "ix_products_active_price",
            "effective_price",
            "product_id",
            postgresql_where=text("is_active"),
        ),
        Index(
            "ix_products_active_rating",
            text("rating_avg DESC NULLS LAST"),
            text("rating_count DESC"),
            "product_id",
            postgresql_where=text("is_active"),
        ),
        Index(
            "ix_products_active_category",
            "category_id",
            text("created_at DESC"),
            postgresql_where=text("is_active"),
        ),
        Index("ix_products_active_brand", "brand", postgresql_where=text("is_active")),
        # No fast update: searches never scan a pending list (catalog writes are rare).
        Index(
            "ix_products_search_vector",
            "search_vector",
            postgresql_using="gin",
            postgresql_with={"fastupdate": "off"},
        ),
    )

    product_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    category_id: Mapped[str] = mapped_column(ForeignKey("categories.category_id"))
    slug: Mapped[str] = mapped_column(String(240), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    brand: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    price: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    discount_price: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    # What the buyer pays: the price filters and sorts use.
    effective_price: Mapped[Decimal] = mapped_column(
        Numeric(12, 2), Computed("coalesce(discount_price, price)", persisted=True)
    )
    stock_quantity: Mapped[int] = mapped_column(Integer, default=0)
    image_urls: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    # Reviews add to the sum and count atomically; the average is derived, never recomputed
    # from a read, so concurrent reviews cannot lose an update.
    rating_sum: Mapped[int] = mapped_column(Integer, default=0)
    rating_count: Mapped[int] = mapped_column(Integer, default=0)
    rating_avg: Mapped[Decimal | None] = mapped_column(
        Numeric(3, 2),
        Computed(
            "CASE WHEN rating_count > 0 THEN round(rating_sum::numeric / rating_count, 2) END",
            persisted=True,
        ),
    )
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    search_vector: Mapped[str] = mapped_column(
        TSVECTOR, Computed(SEARCH_VECTOR_SQL, persisted=True), deferred=True
    )


class Review(Timestamped, Base):
    __tablename__ = "reviews"
    __table_args__ = (
        UniqueConstraint("product_id", "user_id", name="uq_reviews_product_id_user_id"),
        CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),
        Index("ix_reviews_product_newest", "product_id", text("created_at DESC")),
    )

    review_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    product_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("products.product_id"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.user_id"))
    rating: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text, default="")


# Core views of the tables, for the Core selects and DML the services build.
categories_table = cast(Table, Category.__table__)
products_table = cast(Table, Product.__table__)
reviews_table = cast(Table, Review.__table__)
