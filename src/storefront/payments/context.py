"""What the payments code needs from the running process, built once per API or worker
process."""

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storefront.core.config import Settings
from storefront.core.security.sealing import Sealer
from storefront.notifications.service import Notifier
from storefront.payments.gateways.base import PaymentGateway
from storefront.payments.gateways.factory import build_gateway


@dataclass(frozen=True)
class PaymentsContext:
    settings: Settings
    gateway: PaymentGateway
    notifier: Notifier


def build_payments_context(
    settings: Settings, sessions: async_sessionmaker[AsyncSession]
) -> PaymentsContext:
    notifier = Notifier(Sealer(settings.resolved_secret_key()))
    return PaymentsContext(settings, build_gateway(settings, sessions), notifier)


async def _payments_context(request: Request) -> PaymentsContext:
    context: PaymentsContext = request.app.state.payments
    return context


PaymentsDep = Annotated[PaymentsContext, Depends(_payments_context)]
