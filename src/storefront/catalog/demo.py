"""The demo catalog that `make run` and `storefront seed-demo` load."""

from sqlalchemy.ext.asyncio import AsyncSession

from storefront.catalog import service

DEMO_CATEGORIES = (
    ("C100", "Clothing"),
    ("C200", "Grocery"),
    ("C300", "Electronics"),
    ("C400", "Home & Kitchen"),
    ("C500", "Books"),
    ("C600", "Beauty & Personal Care"),
    ("C700", "Sports & Outdoors"),
    ("C800", "Toys & Games"),
)


async def seed_demo(session: AsyncSession) -> None:
    """Add whatever part of the demo catalog is missing; running it twice changes nothing."""
    await service.add_missing_categories(session, DEMO_CATEGORIES)


async def seed_demo_if_empty(session: AsyncSession) -> bool:
    if not await service.catalog_is_empty(session):
        return False
    await seed_demo(session)
    return True
