import asyncio
import re
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storefront.core.database import unit_of_work
from storefront.users.addresses import MAX_ADDRESSES
from storefront.users.models import Address
from tests.auth.conftest import logged_in
from tests.users.conftest import add_address, address_body, jane, stored_addresses

ADDRESSES = "/api/v1/users/me/addresses"
UTC_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z")
NOT_FOUND = {"status": "error", "message": "Address not found."}


def url(address: dict[str, Any] | str) -> str:
    return f"{ADDRESSES}/{address if isinstance(address, str) else address['address_id']}"


async def listed(client: httpx.AsyncClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    response = await client.get(ADDRESSES, headers=headers)
    assert response.status_code == 200
    addresses: list[dict[str, Any]] = response.json()["addresses"]
    return addresses


async def defaults(sessions: async_sessionmaker[AsyncSession]) -> list[str]:
    return [str(a.address_id) for a in await stored_addresses(sessions) if a.is_default]


async def test_the_first_address_is_the_default_whatever_the_client_says(
    client: httpx.AsyncClient,
) -> None:
    tokens = await logged_in(client)

    response = await client.post(
        ADDRESSES,
        json=address_body(full_name="  John Doe ", is_default=False),
        headers=tokens["headers"],
    )

    assert response.status_code == 201
    body = response.json()
    address = body["address"]
    assert body == {"status": "success", "address": address}
    uuid.UUID(address["address_id"])
    assert UTC_TIMESTAMP.fullmatch(address["created_at"])
    assert UTC_TIMESTAMP.fullmatch(address["updated_at"])
    assert {
        k: v for k, v in address.items() if k not in ("address_id", "created_at", "updated_at")
    } == {
        "full_name": "John Doe",
        "mobile": "+919876543210",
        "line1": "12 MG Road",
        "line2": None,
        "landmark": None,
        "city": "Bengaluru",
        "state": "Karnataka",
        "postal_code": "560001",
        "country": "IN",
        "label": "home",
        "is_default": True,
    }
    single = await client.get(url(address), headers=tokens["headers"])
    assert single.json() == {"status": "success", "address": address}


async def test_the_list_shows_the_default_first_then_the_newest(
    client: httpx.AsyncClient,
) -> None:
    tokens = await logged_in(client)
    first = await add_address(client, tokens["headers"], line1="First")
    second = await add_address(client, tokens["headers"], line1="Second", label="work")
    third = await add_address(client, tokens["headers"], line1="Third", label="other")

    addresses = await listed(client, tokens["headers"])

    assert [a["address_id"] for a in addresses] == [
        first["address_id"],
        third["address_id"],
        second["address_id"],
    ]
    assert [a["is_default"] for a in addresses] == [True, False, False]


async def test_missing_and_blank_fields_are_reported_each_on_its_own(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    tokens = await logged_in(client)

    missing = await client.post(ADDRESSES, json={}, headers=tokens["headers"])
    blank = await client.post(
        ADDRESSES,
        json=address_body(full_name=" ", line1="", city="  ", state="", postal_code=" ", mobile=""),
        headers=tokens["headers"],
    )

    required = {"full_name", "mobile", "line1", "city", "state", "postal_code"}
    assert missing.status_code == 400
    assert {e["field"] for e in missing.json()["errors"]} == required
    assert blank.status_code == 400
    assert {(e["field"], e["message"]) for e in blank.json()["errors"]} == {
        (field, "This field is required.") for field in required
    }
    assert await stored_addresses(sessions) == []


@pytest.mark.parametrize(
    ("overrides", "errors"),
    [
        ({"postal_code": "056001"}, {"postal_code": "Enter a valid 6-digit PIN code."}),
        ({"postal_code": "56001"}, {"postal_code": "Enter a valid 6-digit PIN code."}),
        ({"country": "ZZ"}, {"country": "Enter a valid ISO 3166-1 alpha-2 country code."}),
        ({"country": "IND"}, {"country": "Enter a valid ISO 3166-1 alpha-2 country code."}),
        ({"country": None}, {"country": "This field cannot be null."}),
        ({"mobile": "12345"}, {"mobile": "Enter a valid mobile number."}),
        ({"line1": "x" * 201}, {"line1": "Must be at most 200 characters."}),
        ({"label": "office"}, {"label": "Input should be 'home', 'work' or 'other'."}),
        (
            {"country": "US", "postal_code": "9410", "mobile": "2025550123"},
            {"postal_code": "Enter a valid ZIP code: 12345 or 12345-6789."},
        ),
        (
            {"country": "GB", "postal_code": "12345", "mobile": "07911123456"},
            {"postal_code": "Enter a valid UK postcode."},
        ),
        (
            {"country": "DE", "postal_code": "1@", "mobile": "+49 30 901820"},
            {"postal_code": "Enter a valid postal code: 3-10 letters, digits, spaces or dashes."},
        ),
    ],
)
async def test_invalid_values_are_400_on_their_field(
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    overrides: dict[str, Any],
    errors: dict[str, str],
) -> None:
    tokens = await logged_in(client)

    response = await client.post(
        ADDRESSES, json=address_body(**overrides), headers=tokens["headers"]
    )

    assert response.status_code == 400
    assert {e["field"]: e["message"] for e in response.json()["errors"]} == errors
    assert await stored_addresses(sessions) == []


@pytest.mark.parametrize(
    ("country", "mobile", "postal_code", "stored"),
    [
        ("in", "09876543210", "560001", ("IN", "+919876543210", "560001")),
        ("US", "(202) 555-0123", "94105", ("US", "+12025550123", "94105")),
        ("US", "2025550123", "94105-1234", ("US", "+12025550123", "94105-1234")),
        ("GB", "07911 123456", "sw1a1aa", ("GB", "+447911123456", "SW1A 1AA")),
        ("GB", "07911123456", "M1  1AE", ("GB", "+447911123456", "M1 1AE")),
        ("CA", "+1 613 555 0199", "k1a 0b1", ("CA", "+16135550199", "K1A 0B1")),
        ("DE", "030 901820", "10115", ("DE", "+4930901820", "10115")),
    ],
)
async def test_mobiles_and_postal_codes_are_read_for_the_address_country(
    client: httpx.AsyncClient,
    country: str,
    mobile: str,
    postal_code: str,
    stored: tuple[str, str, str],
) -> None:
    tokens = await logged_in(client)

    address = await add_address(
        client, tokens["headers"], country=country, mobile=mobile, postal_code=postal_code
    )

    assert (address["country"], address["mobile"], address["postal_code"]) == stored


@pytest.mark.parametrize(
    "field", ["address_id", "user_id", "created_at", "updated_at", "is_primary"]
)
async def test_read_only_and_unknown_fields_are_refused(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession], field: str
) -> None:
    tokens = await logged_in(client)
    address = await add_address(client, tokens["headers"])
    value = str(uuid.uuid4())

    created = await client.post(
        ADDRESSES, json=address_body(**{field: value}), headers=tokens["headers"]
    )
    patched = await client.patch(url(address), json={field: value}, headers=tokens["headers"])

    for response in (created, patched):
        assert response.status_code == 400
        assert response.json()["errors"] == [{"field": field, "message": "Unknown field."}]
    [stored] = await stored_addresses(sessions)
    assert str(stored.address_id) == address["address_id"]
    assert str(stored.user_id) == tokens["user_id"]


async def test_a_patch_changes_only_what_it_sends_and_checks_the_whole_address(
    client: httpx.AsyncClient,
) -> None:
    tokens = await logged_in(client)
    address = await add_address(client, tokens["headers"], line2="Floor 2", landmark="Near park")

    patched = await client.patch(
        url(address), json={"city": " Mysuru ", "line2": None}, headers=tokens["headers"]
    )
    to_us = await client.patch(url(address), json={"country": "US"}, headers=tokens["headers"])
    nulled = await client.patch(
        url(address), json={"city": None, "is_default": None}, headers=tokens["headers"]
    )

    assert patched.status_code == 200
    after = patched.json()["address"]
    assert (after["city"], after["line2"], after["landmark"]) == ("Mysuru", None, "Near park")
    assert {k: v for k, v in after.items() if k not in ("city", "line2", "updated_at")} == {
        k: v for k, v in address.items() if k not in ("city", "line2", "updated_at")
    }
    assert to_us.status_code == 400
    assert to_us.json()["errors"] == [
        {"field": "postal_code", "message": "Enter a valid ZIP code: 12345 or 12345-6789."}
    ]
    assert nulled.status_code == 400
    assert {e["field"] for e in nulled.json()["errors"]} == {"city", "is_default"}
    assert (await client.get(url(address), headers=tokens["headers"])).json()["address"] == after


async def test_a_new_address_can_take_the_default(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    tokens = await logged_in(client)
    first = await add_address(client, tokens["headers"])

    second = await add_address(client, tokens["headers"], is_default=True)

    assert second["is_default"] is True
    assert await defaults(sessions) == [second["address_id"]]
    reread = await client.get(url(first), headers=tokens["headers"])
    assert reread.json()["address"]["is_default"] is False


async def test_patching_is_default_moves_the_default(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    tokens = await logged_in(client)
    first = await add_address(client, tokens["headers"])
    second = await add_address(client, tokens["headers"])

    response = await client.patch(url(second), json={"is_default": True}, headers=tokens["headers"])
    again = await client.patch(url(second), json={"is_default": True}, headers=tokens["headers"])

    assert response.status_code == 200
    assert response.json()["address"]["is_default"] is True
    assert again.status_code == 200
    assert await defaults(sessions) == [second["address_id"]]
    assert [a["address_id"] for a in await listed(client, tokens["headers"])] == [
        second["address_id"],
        first["address_id"],
    ]


async def test_the_default_cannot_be_unset_directly(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    tokens = await logged_in(client)
    first = await add_address(client, tokens["headers"])
    second = await add_address(client, tokens["headers"])

    refused = await client.patch(
        url(first), json={"is_default": False, "city": "Mysuru"}, headers=tokens["headers"]
    )
    harmless = await client.patch(
        url(second), json={"is_default": False}, headers=tokens["headers"]
    )

    assert refused.status_code == 400
    assert [e["field"] for e in refused.json()["errors"]] == ["is_default"]
    assert harmless.status_code == 200
    assert await defaults(sessions) == [first["address_id"]]
    assert {a.city for a in await stored_addresses(sessions)} == {"Bengaluru"}


async def test_deleting_the_default_promotes_the_most_recent_other_address(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    tokens = await logged_in(client)
    first = await add_address(client, tokens["headers"])
    second = await add_address(client, tokens["headers"])
    third = await add_address(client, tokens["headers"])

    response = await client.delete(url(first), headers=tokens["headers"])

    assert response.status_code == 200
    assert response.json() == {"status": "success", "message": "Address deleted."}
    assert await defaults(sessions) == [third["address_id"]]
    assert (await client.delete(url(second), headers=tokens["headers"])).status_code == 200
    assert await defaults(sessions) == [third["address_id"]]
    assert (await client.delete(url(third), headers=tokens["headers"])).status_code == 200
    assert await listed(client, tokens["headers"]) == []
    assert (await client.get(url(first), headers=tokens["headers"])).status_code == 404


async def test_an_address_book_holds_at_most_twenty(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    tokens = await logged_in(client)
    for n in range(MAX_ADDRESSES):
        await add_address(client, tokens["headers"], line1=f"House {n}")

    response = await client.post(ADDRESSES, json=address_body(), headers=tokens["headers"])

    assert response.status_code == 409
    assert response.json()["message"] == (
        "An address book holds at most 20 addresses. Delete one to add another."
    )
    assert len(await stored_addresses(sessions)) == MAX_ADDRESSES


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
async def test_a_malformed_id_is_400_and_an_unknown_one_404(
    client: httpx.AsyncClient, method: str
) -> None:
    tokens = await logged_in(client)
    body = {"city": "Mysuru"} if method == "PATCH" else None

    malformed = await client.request(
        method, url("not-a-uuid"), json=body, headers=tokens["headers"]
    )
    unknown = await client.request(
        method, url(str(uuid.uuid4())), json=body, headers=tokens["headers"]
    )

    assert malformed.status_code == 400
    assert [e["field"] for e in malformed.json()["errors"]] == ["address_id"]
    assert (unknown.status_code, unknown.json()) == (404, NOT_FOUND)


async def test_another_users_address_is_404_for_every_verb_and_stays_unchanged(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    john = await logged_in(client)
    address = await add_address(client, john["headers"])
    before = await stored_addresses(sessions)
    other = await jane(client)

    responses = [
        await client.get(url(address), headers=other["headers"]),
        await client.patch(
            url(address), json={"city": "Mysuru", "is_default": True}, headers=other["headers"]
        ),
        await client.delete(url(address), headers=other["headers"]),
    ]

    for response in responses:
        assert (response.status_code, response.json()) == (404, NOT_FOUND)
    after = await stored_addresses(sessions)
    assert [vars_of(a) for a in after] == [vars_of(a) for a in before]
    assert await listed(client, other["headers"]) == []
    assert await listed(client, john["headers"]) == [address]


def vars_of(row: object) -> dict[str, Any]:
    return {k: v for k, v in vars(row).items() if not k.startswith("_")}


async def test_concurrent_make_default_requests_leave_exactly_one_default(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    tokens = await logged_in(client)
    first = await add_address(client, tokens["headers"])
    second = await add_address(client, tokens["headers"])
    third = await add_address(client, tokens["headers"])

    for _ in range(10):
        responses = await asyncio.gather(
            client.patch(url(second), json={"is_default": True}, headers=tokens["headers"]),
            client.patch(url(third), json={"is_default": True}, headers=tokens["headers"]),
        )

        assert [r.status_code for r in responses] == [200, 200]
        assert len(await defaults(sessions)) == 1
        assert (await defaults(sessions))[0] in {second["address_id"], third["address_id"]}
        back = await client.patch(url(first), json={"is_default": True}, headers=tokens["headers"])
        assert back.status_code == 200


async def test_concurrent_first_addresses_leave_exactly_one_default(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    tokens = await logged_in(client)

    for _ in range(5):
        responses = await asyncio.gather(
            *(
                client.post(ADDRESSES, json=address_body(), headers=tokens["headers"])
                for _ in range(3)
            )
        )

        assert [r.status_code for r in responses] == [201, 201, 201]
        assert len(await defaults(sessions)) == 1
        for response in responses:
            await client.delete(url(response.json()["address"]), headers=tokens["headers"])
        assert await stored_addresses(sessions) == []


async def test_the_database_refuses_a_second_default_inserted_behind_the_service(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    tokens = await logged_in(client)
    first = await add_address(client, tokens["headers"])
    [stored] = await stored_addresses(sessions)
    assert stored.is_default

    async def insert_another_default() -> None:
        async with unit_of_work(sessions) as session:
            values = {c: getattr(stored, c) for c in ("full_name", "mobile", "line1", "city")}
            session.add(
                Address(
                    user_id=stored.user_id,
                    state=stored.state,
                    postal_code=stored.postal_code,
                    country=stored.country,
                    label=stored.label,
                    is_default=True,
                    **values,
                )
            )

    with pytest.raises(IntegrityError, match="uq_addresses_one_default_per_user"):
        await insert_another_default()
    assert [a.address_id for a in await stored_addresses(sessions)] == [
        uuid.UUID(first["address_id"])
    ]
