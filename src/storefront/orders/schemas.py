"""Request and response bodies of the orders routes."""

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field

from storefront.core.money import Money
from storefront.core.pagination import Pagination
from storefront.core.schemas import RequestSchema, Schema, SuccessResponse, Text
from storefront.orders.models import ActorType, OrderStatus, PaymentStatus

NOTE_MAX_LENGTH = 500
TRACKING_NUMBER_MAX_LENGTH = 100


class OrderCreate(RequestSchema):
    address_id: uuid.UUID


class OrderLine(Schema):
    product_id: uuid.UUID
    name: str
    unit_price: Money
    quantity: int
    line_total: Money


class ShippingAddress(Schema):
    full_name: str
    mobile: str
    line1: str
    line2: str | None
    landmark: str | None
    city: str
    state: str
    postal_code: str
    country: str


class TimelineEntry(Schema):
    from_status: OrderStatus | None
    to_status: OrderStatus
    at: datetime
    actor_type: ActorType
    note: str | None


class Order(Schema):
    order_id: uuid.UUID
    status: OrderStatus
    payment_status: PaymentStatus
    currency: str
    subtotal: Money
    discount: Money
    total: Money
    items: list[OrderLine]
    shipping_address: ShippingAddress
    tracking_number: str | None
    # Until when an unpaid order waits for its payment before it expires.
    expires_at: datetime
    created_at: datetime
    updated_at: datetime
    timeline: list[TimelineEntry]


class OrderResponse(SuccessResponse):
    order: Order


class OrderSummary(Schema):
    order_id: uuid.UUID
    status: OrderStatus
    payment_status: PaymentStatus
    currency: str
    total: Money
    item_count: int
    tracking_number: str | None
    expires_at: datetime
    created_at: datetime
    updated_at: datetime


class OrderList(SuccessResponse):
    orders: list[OrderSummary]
    pagination: Pagination


class AdminOrderSummary(OrderSummary):
    user_id: uuid.UUID


class AdminOrderList(SuccessResponse):
    orders: list[AdminOrderSummary]
    pagination: Pagination


# Paid comes only from a payment and expired only from the expiry job.
AdminStatus = Literal[
    OrderStatus.PROCESSING, OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.CANCELLED
]


class StatusChange(RequestSchema):
    status: AdminStatus
    note: Annotated[str, Text(min_length=1, max_length=NOTE_MAX_LENGTH)] | None = None
    tracking_number: (
        Annotated[
            str,
            Field(min_length=1, max_length=TRACKING_NUMBER_MAX_LENGTH, pattern=r"^[A-Za-z0-9-]+$"),
        ]
        | None
    ) = None
