"""Stock is conserved whatever buyers, payments, the shop and the expiry job do, in any order:
for every product, initial stock = on hand + reserved by unpaid orders + sold. A hypothesis
state machine drives the real API and the real services (checkout, cancellation, expiry, a
capture arriving late, admin moves) and checks the database after every step against a model."""

import asyncio
import uuid
from dataclasses import dataclass

import httpx
from fastapi import FastAPI
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)
from sqlalchemy import bindparam, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storefront.auth.models import Role
from storefront.core.database import unit_of_work
from storefront.orders.expiry import expire_due_orders
from storefront.orders.service import CaptureOutcome, record_capture
from tests.catalog.conftest import user_headers
from tests.orders.conftest import ORDERS, Buyer, add_buyers, add_products, age_order, checkout
from tests.threaded_machine import World, run_machine

PRODUCTS = 3
BUYERS = 2
MAX_PENDING = 3  # the default STOREFRONT_MAX_PENDING_ORDERS
RESERVED = ("pending_payment",)
SOLD = ("paid", "processing", "shipped", "delivered")
CANCELLABLE = ("pending_payment", "paid", "processing")
NEXT_BY_ADMIN = {"paid": "processing", "processing": "shipped", "shipped": "delivered"}

_STOCK_BY_STATE = text(
    """
    SELECT p.product_id, p.stock_quantity,
           coalesce(sum(l.quantity) FILTER (WHERE o.status IN :reserved), 0) AS reserved,
           coalesce(sum(l.quantity) FILTER (WHERE o.status IN :sold), 0) AS sold
    FROM products AS p
    LEFT JOIN order_lines AS l ON l.product_id = p.product_id
    LEFT JOIN orders AS o ON o.order_id = l.order_id
    WHERE p.product_id IN :products
    GROUP BY p.product_id, p.stock_quantity
    """
).bindparams(*(bindparam(name, expanding=True) for name in ("reserved", "sold", "products")))
_STATUSES = text("SELECT order_id, status FROM orders WHERE order_id IN :ids").bindparams(
    bindparam("ids", expanding=True)
)


@dataclass
class ModelOrder:
    buyer: int
    lines: dict[uuid.UUID, int]
    status: str = "pending_payment"


def stock_machine(world: World) -> type[RuleBasedStateMachine]:
    class StockConservation(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.initial: dict[uuid.UUID, int] = {}
            self.on_hand: dict[uuid.UUID, int] = {}
            self.products: list[uuid.UUID] = []
            self.buyers: list[Buyer] = []
            self.carts: list[dict[uuid.UUID, int]] = []
            self.orders: dict[str, ModelOrder] = {}

        @initialize(stocks=st.lists(st.integers(0, 8), min_size=PRODUCTS, max_size=PRODUCTS))
        def open_shop(self, stocks: list[int]) -> None:
            for quantity in stocks:
                [product] = world.run(add_products(world.sessions, 1, stock_quantity=quantity))
                self.products.append(product)
                self.initial[product] = self.on_hand[product] = quantity
            self.buyers = world.run(add_buyers(world.app, world.sessions, BUYERS))
            self.carts = [{} for _ in self.buyers]

        @rule(
            buyer=st.integers(0, BUYERS - 1),
            pick=st.integers(0, PRODUCTS - 1),
            quantity=st.integers(1, 3),
        )
        def add_to_cart(self, buyer: int, pick: int, quantity: int) -> None:
            product = self.products[pick]
            response = world.run(
                world.client.post(
                    "/api/v1/cart/items",
                    json={"product_id": str(product), "quantity": quantity},
                    headers=self.buyers[buyer].headers,
                )
            )
            in_cart = self.carts[buyer].get(product, 0)
            if in_cart + quantity > self.on_hand[product]:
                assert response.status_code == 409, response.text
                return
            assert response.status_code in (200, 201), response.text
            items = response.json()["cart"]["items"]
            self.carts[buyer] = {uuid.UUID(i["product_id"]): i["quantity"] for i in items}

        @rule(buyer=st.integers(0, BUYERS - 1))
        def check_out(self, buyer: int) -> None:
            cart = self.carts[buyer]
            pending = sum(
                1 for o in self.orders.values() if o.buyer == buyer and o.status in RESERVED
            )
            can_buy = bool(cart) and all(q <= self.on_hand[p] for p, q in cart.items())
            response = world.run(checkout(world.client, self.buyers[buyer]))
            if not (can_buy and pending < MAX_PENDING):
                assert response.status_code == 409, response.text
                return
            assert response.status_code == 201, response.text
            order = response.json()["order"]
            lines = {uuid.UUID(line["product_id"]): line["quantity"] for line in order["items"]}
            assert lines == cart
            for product, quantity in lines.items():
                self.on_hand[product] -= quantity
            self.orders[order["order_id"]] = ModelOrder(buyer, lines)
            self.carts[buyer] = {}

        @precondition(lambda self: self.orders)
        @rule(pick=st.integers(0, 10**6))
        def cancel(self, pick: int) -> None:
            order_id, order = self._order(pick)
            url = f"{ORDERS}/{order_id}/cancel"
            response = world.run(world.client.post(url, headers=self.buyers[order.buyer].headers))
            if order.status not in CANCELLABLE:
                assert response.status_code == 409, response.text
                return
            assert response.status_code == 200, response.text
            self._release(order)
            order.status = "cancelled"

        @precondition(lambda self: self.orders)
        @rule(pick=st.integers(0, 10**6))
        def payment_time_runs_out(self, pick: int) -> None:
            order_id, order = self._order(pick)
            world.run(age_order(world.sessions, order_id))
            world.run(_run_expiry(world.sessions))
            if order.status == "pending_payment":
                self._release(order)
                order.status = "expired"

        @precondition(lambda self: self.orders)
        @rule(pick=st.integers(0, 10**6))
        def payment_captured(self, pick: int) -> None:
            order_id, order = self._order(pick)
            outcome = world.run(_capture(world.sessions, order_id))
            expected = CaptureOutcome.ALREADY_PAID
            if order.status == "cancelled":
                expected = CaptureOutcome.REFUND
            elif order.status == "pending_payment":
                expected = CaptureOutcome.PAID
            elif order.status == "expired":
                back = all(q <= self.on_hand[p] for p, q in order.lines.items())
                expected = CaptureOutcome.PAID if back else CaptureOutcome.REFUND
                if back:
                    for product, quantity in order.lines.items():
                        self.on_hand[product] -= quantity
            assert outcome is expected
            if expected is CaptureOutcome.PAID:
                order.status = "paid"

        @precondition(lambda self: self.orders)
        @rule(pick=st.integers(0, 10**6))
        def shop_moves_it_along(self, pick: int) -> None:
            order_id, order = self._order(pick)
            to = NEXT_BY_ADMIN.get(order.status, "processing")
            body = {"status": to, "tracking_number": "TRK0001" if to == "shipped" else None}
            url = f"/api/v1/admin/orders/{order_id}/status"
            response = world.run(world.client.post(url, json=body, headers=world.admin))
            if order.status not in NEXT_BY_ADMIN:
                assert response.status_code == 409, response.text
                return
            assert response.status_code == 200, response.text
            order.status = to

        @invariant()
        def stock_is_conserved(self) -> None:
            if not self.products:
                return
            rows = world.run(_stock_by_state(world.sessions, self.products))
            for product, on_hand, reserved, sold in rows:
                assert on_hand >= 0
                assert on_hand == self.on_hand[product]
                assert on_hand + reserved + sold == self.initial[product]
            statuses = world.run(_statuses(world.sessions, list(self.orders)))
            assert statuses == {order_id: o.status for order_id, o in self.orders.items()}

        def _order(self, pick: int) -> tuple[str, ModelOrder]:
            order_id = list(self.orders)[pick % len(self.orders)]
            return order_id, self.orders[order_id]

        def _release(self, order: ModelOrder) -> None:
            if order.status in (*RESERVED, *SOLD):
                for product, quantity in order.lines.items():
                    self.on_hand[product] += quantity

    return StockConservation


async def _run_expiry(sessions: async_sessionmaker[AsyncSession]) -> None:
    # The app's own periodic job may expire the order first: either way it expires once.
    async with unit_of_work(sessions) as session:
        await expire_due_orders(session)


async def _capture(sessions: async_sessionmaker[AsyncSession], order_id: str) -> CaptureOutcome:
    async with unit_of_work(sessions) as session:
        return await record_capture(session, uuid.UUID(order_id), payment_id=uuid.uuid4())


async def _stock_by_state(
    sessions: async_sessionmaker[AsyncSession], products: list[uuid.UUID]
) -> list[tuple[uuid.UUID, int, int, int]]:
    async with sessions() as session:
        rows = await session.execute(
            _STOCK_BY_STATE,
            {"reserved": RESERVED, "sold": SOLD, "products": products},
        )
        return [(r.product_id, r.stock_quantity, int(r.reserved), int(r.sold)) for r in rows]


async def _statuses(
    sessions: async_sessionmaker[AsyncSession], order_ids: list[str]
) -> dict[str, str]:
    if not order_ids:
        return {}
    async with sessions() as session:
        rows = await session.execute(
            _STATUSES, {"ids": [uuid.UUID(order_id) for order_id in order_ids]}
        )
        return {str(row.order_id): row.status for row in rows}


async def test_stock_is_conserved_over_any_sequence_of_order_events(
    app: FastAPI, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    world = World(asyncio.get_running_loop(), app, client, sessions)
    world.admin = await user_headers(app, sessions, "stock_admin", Role.ADMIN)
    await run_machine(stock_machine(world), examples=100, steps=30)
