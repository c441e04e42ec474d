"""The orders module's queue handlers (the owner is told of each order and each change, by email,
and by text when their mobile is verified) and its periodic job (expiring unpaid orders)."""

import uuid
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from storefront.auth.service import Account, get_account
from storefront.core.config import Settings
from storefront.core.events.outbox import Event
from storefront.core.events.periodic import PeriodicJob
from storefront.core.events.registry import HandlerRegistry
from storefront.core.money import format_money
from storefront.core.security.sealing import Sealer
from storefront.notifications.service import Notifier
from storefront.orders.checkout import ORDER_CREATED
from storefront.orders.expiry import expire_due_orders
from storefront.orders.history import get_order
from storefront.orders.models import OrderStatus
from storefront.orders.transitions import STATUS_CHANGED

STATUS_TEMPLATE = "order_status_change"
CONFIRMATION_TEMPLATE = "order_confirmation"


def status_label(status: OrderStatus) -> str:
    return status.value.replace("_", " ")


class OrderNotifications:
    def __init__(self, notifier: Notifier) -> None:
        self.notifier = notifier

    async def order_created(self, session: AsyncSession, event: Event) -> None:
        account = await _active_account(session, event)
        if account is None:
            return
        order = await get_order(session, uuid.UUID(event.payload["order_id"]))
        items = [
            {
                "name": line.name,
                "quantity": line.quantity,
                "unit_price": format_money(line.unit_price),
                "line_total": format_money(line.line_total),
            }
            for line in order.items
        ]
        context = {
            "username": account.username,
            "order_id": str(order.order_id),
            "items": items,
            "total": format_money(order.total),
            "currency": order.currency,
        }
        self.notifier.email(
            session, to=account.email, template=CONFIRMATION_TEMPLATE, context=context
        )
        self._text(session, account, str(order.order_id), order.status, None)

    async def status_changed(self, session: AsyncSession, event: Event) -> None:
        account = await _active_account(session, event)
        if account is None:
            return
        order_id = event.payload["order_id"]
        status = OrderStatus(event.payload["to_status"])
        context = {
            "username": account.username,
            "order_id": order_id,
            "status": status_label(status),
            "tracking_number": event.payload["tracking_number"],
        }
        self.notifier.email(session, to=account.email, template=STATUS_TEMPLATE, context=context)
        self._text(session, account, order_id, status, event.payload["tracking_number"])

    def _text(
        self,
        session: AsyncSession,
        account: Account,
        order_id: str,
        status: OrderStatus,
        tracking_number: str | None,
    ) -> None:
        if account.is_mobile_verified:
            context = {
                "order_id": order_id,
                "status": status_label(status),
                "tracking_number": tracking_number,
            }
            self.notifier.sms(session, to=account.mobile, template=STATUS_TEMPLATE, context=context)


async def _active_account(session: AsyncSession, event: Event) -> Account | None:
    """The order's owner, unless the account has been deleted (nobody is left to tell)."""
    account = await get_account(session, uuid.UUID(event.payload["user_id"]))
    return account if account.is_active else None


def register(registry: HandlerRegistry, settings: Settings) -> None:
    handlers = OrderNotifications(Notifier(Sealer(settings.resolved_secret_key())))
    registry.register(ORDER_CREATED, handlers.order_created)
    registry.register(STATUS_CHANGED, handlers.status_changed)


async def _expire_orders(session: AsyncSession) -> None:
    await expire_due_orders(session)


def periodic_jobs() -> list[PeriodicJob]:
    return [PeriodicJob("expire_unpaid_orders", timedelta(minutes=1), _expire_orders)]
