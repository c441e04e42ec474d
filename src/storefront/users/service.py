"""The users module's façade: what orders may use of the address book."""

import uuid
from dataclasses import asdict, dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from storefront.users.addresses import get_address


@dataclass(frozen=True)
class AddressSnapshot:
    """An address as it is now, to be copied onto an order (later edits leave the order alone)."""

    full_name: str
    mobile: str
    line1: str
    line2: str | None
    landmark: str | None
    city: str
    state: str
    postal_code: str
    country: str

    def as_dict(self) -> dict[str, str | None]:
        return asdict(self)


async def address_snapshot(
    session: AsyncSession, user_id: uuid.UUID, address_id: uuid.UUID
) -> AddressSnapshot:
    """The user's address; another user's is NotFound, exactly like a missing one."""
    address = await get_address(session, user_id, address_id)
    return AddressSnapshot(
        full_name=address.full_name,
        mobile=address.mobile,
        line1=address.line1,
        line2=address.line2,
        landmark=address.landmark,
        city=address.city,
        state=address.state,
        postal_code=address.postal_code,
        country=address.country,
    )
