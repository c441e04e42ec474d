"""The cart's periodic job: guest carts past their expiry are deleted, with their lines."""

from datetime import timedelta

from sqlalchemy import delete, func
from sqlalchemy.ext.asyncio import AsyncSession

from storefront.cart.models import carts_table as carts
from storefront.core.events.periodic import PeriodicJob

_EXPIRED = delete(carts).where(carts.c.expires_at <= func.now())


async def purge_expired_guest_carts(session: AsyncSession) -> None:
    await session.execute(_EXPIRED)


EXPIRE_GUEST_CARTS = PeriodicJob(
    "purge_expired_guest_carts", timedelta(hours=1), purge_expired_guest_carts
)
