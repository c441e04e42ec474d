"""Deleting an account: auth anonymises it, and the address book goes with it, in one
transaction."""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from storefront.auth import service as auth_service
from storefront.users.addresses import delete_all_addresses


async def delete_account(
    session: AsyncSession, auth: auth_service.AuthContext, user_id: uuid.UUID, password: str
) -> None:
    await auth_service.delete_account(session, auth, user_id, password)
    await delete_all_addresses(session, user_id)
