"""The demo catalog that `make run` and `storefront seed-demo` load: the category tree and N
products generated deterministically from word lists, so a run adds only what is missing."""

import random
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from storefront.catalog.categories import add_missing_categories, catalog_is_empty
from storefront.catalog.demo_words import (
    ADJECTIVES,
    COLOURS,
    DETAILS,
    LEAVES,
    MATERIALS,
    OPENINGS,
    TOP_LEVEL,
    Leaf,
)
from storefront.catalog.products import slugify
from storefront.core.money import quantize

DEMO_CATEGORIES = TOP_LEVEL
DEFAULT_DEMO_PRODUCTS = 1_000
SEED = 20_261_125
ANCHOR = datetime(2026, 11, 1, tzinfo=UTC)
IMAGE_BASE = "https://images.storefront.example/products"
COLUMNS = (
    "product_id",
    "category_id",
    "slug",
    "name",
    "brand",
    "description",
    "price",
    "discount_price",
    "stock_quantity",
    "image_urls",
    "rating_sum",
    "rating_count",
    "is_active",
    "created_at",
    "updated_at",
)
Record = tuple[object, ...]


def _parent(leaf: Leaf) -> str:
    return f"{leaf.category_id[:2]}00"


def _price(rng: random.Random, leaf: Leaf) -> tuple[Decimal, Decimal | None]:
    low, high = leaf.price_range
    price = Decimal(int(rng.uniform(low, high))) + Decimal("0.99" if rng.random() < 0.5 else "0")
    if rng.random() >= 0.3:
        return price, None
    off = rng.choice((5, 10, 15, 20, 25, 30, 40, 50))
    return price, quantize(price * (100 - off) / 100)


def _description(rng: random.Random, leaf: Leaf, brand: str, noun: str) -> str:
    quality = rng.choice(ADJECTIVES).lower()
    details = rng.sample(DETAILS, 2)
    opening = rng.choice(OPENINGS).format(noun=noun.lower(), brand=brand, quality=quality)
    return " ".join([opening, *details]).format(colour=rng.choice(COLOURS).lower())


def _product(rng: random.Random) -> Record:
    leaf = rng.choice(LEAVES)
    brand, noun = rng.choice(leaf.brands), rng.choice(leaf.nouns)
    name = f"{brand} {rng.choice(ADJECTIVES)} {rng.choice(MATERIALS)} {noun}"
    if rng.random() < 0.5:
        name = f"{name}, {rng.choice(COLOURS)}"
    product_id = uuid.UUID(int=rng.getrandbits(128), version=4)
    price, discount_price = _price(rng, leaf)
    rating_count = 0 if rng.random() < 0.15 else rng.randint(1, 500)
    rating_sum = round(rating_count * rng.uniform(2.5, 5.0))
    images = [f"{IMAGE_BASE}/{product_id.hex}/{n}.jpg" for n in range(1, rng.randint(1, 3) + 1)]
    created_at = ANCHOR - timedelta(seconds=rng.randint(0, 365 * 24 * 3600))
    return (
        product_id,
        leaf.category_id,
        slugify(name, product_id),
        name,
        brand,
        _description(rng, leaf, brand, noun),
        price,
        discount_price,
        0 if rng.random() < 0.1 else rng.randint(1, 500),
        images,
        max(rating_count, min(rating_sum, 5 * rating_count)),
        rating_count,
        True,
        created_at,
        created_at,
    )


def demo_products(count: int) -> Iterator[Record]:
    """The first `count` demo products; the same ones (and ids) on every run."""
    rng = random.Random(SEED)  # noqa: S311 (reproducible demo data, not secrets)
    for _ in range(count):
        yield _product(rng)


async def _copy_products(session: AsyncSession, count: int) -> None:
    """COPY into a scratch table, then one INSERT ... ON CONFLICT DO NOTHING: bulk speed, and
    products already there are left alone."""
    connection = await session.connection()
    raw = (await connection.get_raw_connection()).driver_connection
    assert raw is not None  # noqa: S101 (an open connection always has its driver connection)
    columns = ", ".join(COLUMNS)
    await raw.execute(
        f"CREATE TEMP TABLE demo_products AS SELECT {columns} FROM products WITH NO DATA"  # noqa: S608
    )
    await raw.copy_records_to_table(
        "demo_products", records=demo_products(count), columns=list(COLUMNS)
    )
    await raw.execute(
        f"INSERT INTO products ({columns}) SELECT {columns} FROM demo_products "  # noqa: S608
        "ON CONFLICT DO NOTHING"
    )
    await raw.execute("DROP TABLE demo_products")
    # Fresh statistics, so the listing's plans are right from the first request rather than
    # after autovacuum's next pass (stale counts picked a 40 ms plan for a 2 ms query).
    await raw.execute("ANALYZE products")


async def seed_demo(session: AsyncSession, products: int = DEFAULT_DEMO_PRODUCTS) -> None:
    """Add whatever part of the demo catalog is missing; running it twice changes nothing."""
    await add_missing_categories(session, [(code, name, None) for code, name in TOP_LEVEL])
    await add_missing_categories(
        session, [(leaf.category_id, leaf.name, _parent(leaf)) for leaf in LEAVES]
    )
    if products:
        await _copy_products(session, products)


async def seed_demo_if_empty(session: AsyncSession, products: int = DEFAULT_DEMO_PRODUCTS) -> bool:
    if not await catalog_is_empty(session):
        return False
    await seed_demo(session, products)
    return True
