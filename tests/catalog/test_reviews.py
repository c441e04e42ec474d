import asyncio
import uuid
from decimal import Decimal

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storefront.catalog.models import products_table
from tests.catalog.conftest import add_category, add_product, counted_statements, user_headers


@pytest.fixture
async def product_id(sessions: async_sessionmaker[AsyncSession]) -> uuid.UUID:
    await add_category(sessions, "C100", "Clothing")
    return await add_product(sessions, "Wool Socks")


async def ratings(
    sessions: async_sessionmaker[AsyncSession], product_id: uuid.UUID
) -> tuple[object, ...]:
    async with sessions() as session:
        row = (
            await session.execute(
                select(
                    products_table.c.rating_sum,
                    products_table.c.rating_count,
                    products_table.c.rating_avg,
                ).where(products_table.c.product_id == product_id)
            )
        ).one()
    return tuple(row)


def reviews_url(product_id: uuid.UUID) -> str:
    return f"/api/v1/products/{product_id}/reviews"


REVIEW = {"rating": 4, "title": "Warm", "body": "Good for winter."}


async def test_a_customer_reviews_once(
    app: FastAPI,
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    product_id: uuid.UUID,
) -> None:
    headers = await user_headers(app, sessions, "jane_doe")

    created = await client.post(reviews_url(product_id), json=REVIEW, headers=headers)
    again = await client.post(reviews_url(product_id), json=REVIEW, headers=headers)

    assert created.status_code == 201, created.text
    review = created.json()["review"]
    assert {k: review[k] for k in ("product_id", "rating", "title", "body", "author")} == {
        "product_id": str(product_id),
        "rating": 4,
        "title": "Warm",
        "body": "Good for winter.",
        "author": "jane_doe",
    }
    assert again.status_code == 409
    assert await ratings(sessions, product_id) == (4, 1, Decimal("4.00"))


async def test_reviewing_needs_a_login_an_active_product_and_valid_input(
    app: FastAPI,
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    product_id: uuid.UUID,
) -> None:
    headers = await user_headers(app, sessions)
    hidden = await add_product(sessions, "Hidden", is_active=False)

    anonymous = await client.post(reviews_url(product_id), json=REVIEW)
    inactive = await client.post(reviews_url(hidden), json=REVIEW, headers=headers)
    unknown = await client.post(reviews_url(uuid.uuid4()), json=REVIEW, headers=headers)
    invalid = await client.post(
        reviews_url(product_id),
        json={"rating": 6, "title": " ", "rating_avg": 5},
        headers=headers,
    )

    assert anonymous.status_code == 401
    assert inactive.status_code == unknown.status_code == 404
    assert invalid.status_code == 400
    assert {e["field"] for e in invalid.json()["errors"]} == {"rating", "title", "rating_avg"}
    assert await ratings(sessions, product_id) == (0, 0, None)


async def test_only_the_author_changes_or_deletes_a_review(
    app: FastAPI,
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    product_id: uuid.UUID,
) -> None:
    author = await user_headers(app, sessions, "author_one")
    other = await user_headers(app, sessions, "someone_else")
    review = (await client.post(reviews_url(product_id), json=REVIEW, headers=author)).json()
    url = f"{reviews_url(product_id)}/{review['review']['review_id']}"

    foreign_patch = await client.patch(url, json={"rating": 1}, headers=other)
    foreign_delete = await client.delete(url, headers=other)
    null_title = await client.patch(url, json={"title": None}, headers=author)
    patched = await client.patch(url, json={"rating": 2, "title": "Itchy"}, headers=author)

    assert foreign_patch.status_code == foreign_delete.status_code == 404
    assert null_title.status_code == 400
    assert patched.status_code == 200
    assert (patched.json()["review"]["rating"], patched.json()["review"]["title"]) == (2, "Itchy")
    assert await ratings(sessions, product_id) == (2, 1, Decimal("2.00"))

    deleted = await client.delete(url, headers=author)
    assert deleted.json() == {"status": "success", "message": "Review deleted."}
    assert await ratings(sessions, product_id) == (0, 0, None)
    assert (await client.delete(url, headers=author)).status_code == 404


async def test_reviews_are_listed_newest_first_with_authors_in_three_statements(
    app: FastAPI,
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    product_id: uuid.UUID,
) -> None:
    for n in range(3):
        headers = await user_headers(app, sessions, f"reviewer_{n}")
        review = REVIEW | {"title": f"Review {n}"}
        response = await client.post(reviews_url(product_id), json=review, headers=headers)
        assert response.status_code == 201

    with counted_statements(app) as log:
        first = await client.get(reviews_url(product_id), params={"page_size": 2})
    second = await client.get(reviews_url(product_id), params={"page": 2, "page_size": 2})

    body = first.json()
    assert list(body) == ["status", "reviews", "pagination"]
    assert [r["title"] for r in body["reviews"]] == ["Review 2", "Review 1"]
    assert [r["author"] for r in body["reviews"]] == ["reviewer_2", "reviewer_1"]
    assert body["pagination"] == {"page": 1, "page_size": 2, "total_items": 3, "total_pages": 2}
    assert [r["title"] for r in second.json()["reviews"]] == ["Review 0"]
    # The product with the count, the page, and the authors' names from auth's façade.
    assert log.count == 3
    assert (await client.get(reviews_url(uuid.uuid4()))).status_code == 404


async def test_concurrent_reviews_keep_the_rating_exact(
    app: FastAPI,
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    product_id: uuid.UUID,
) -> None:
    scores = [5, 4, 3, 5, 1, 2, 5, 4, 4, 3]
    reviewers = [await user_headers(app, sessions, f"buyer_{n}") for n in range(len(scores))]

    responses = await asyncio.gather(
        *(
            client.post(reviews_url(product_id), json=REVIEW | {"rating": score}, headers=headers)
            for score, headers in zip(scores, reviewers, strict=True)
        )
    )

    assert [r.status_code for r in responses] == [201] * len(scores)
    assert await ratings(sessions, product_id) == (
        sum(scores),
        len(scores),
        Decimal(sum(scores)) / len(scores),
    )
    detail = (await client.get(f"/api/v1/products/{product_id}")).json()["product"]
    assert (detail["rating_avg"], detail["rating_count"]) == (3.6, 10)
