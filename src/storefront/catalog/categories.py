"""The category tree: listing a level, one category with its children and product count, and
the admin's changes. Other modules use these functions, never the catalog's tables."""

from collections.abc import Iterable

from sqlalchemy import CTE, BindParameter, bindparam, exists, func, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from storefront.catalog.cache import invalidate_after_commit
from storefront.catalog.models import Category, categories_table, products_table
from storefront.catalog.schemas import Category as CategoryOut
from storefront.catalog.schemas import CategoryDetail
from storefront.core.errors import Conflict, InvalidInput, NotFound
from storefront.core.reads import Reader, SessionReader
from storefront.core.schemas import FieldError

categories = categories_table
products = products_table

CATEGORY_NOT_FOUND = "Category not found."


def descendants_of(category_id: str | BindParameter[str]) -> CTE:
    """The category and every category below it (UNION, so even a cycle would terminate)."""
    tree = (
        select(categories.c.category_id)
        .where(categories.c.category_id == category_id)
        .cte("category_tree", recursive=True)
    )
    return tree.union(
        select(categories.c.category_id).where(categories.c.parent_id == tree.c.category_id)
    )


_CATEGORY_ID: BindParameter[str] = bindparam("category_id", type_=categories.c.category_id.type)
_TOP_LEVEL = (
    select(categories.c.category_id, categories.c.name)
    .where(categories.c.parent_id.is_(None))
    .order_by(categories.c.category_id)
)
_WITH_CHILDREN = (
    select(categories.c.category_id, categories.c.name, categories.c.parent_id)
    .where(or_(categories.c.category_id == _CATEGORY_ID, categories.c.parent_id == _CATEGORY_ID))
    .order_by(categories.c.category_id)
)
_ACTIVE_PRODUCTS_BELOW = select(func.count().label("product_count")).where(
    products.c.is_active,
    products.c.category_id.in_(select(descendants_of(_CATEGORY_ID).c.category_id)),
)


async def list_categories(reader: Reader, parent_id: str | None) -> list[CategoryOut]:
    """Top-level categories, or the children of `parent_id` (which must exist)."""
    if parent_id is None:
        rows = await reader.all(_TOP_LEVEL)
        return [CategoryOut(category_id=row["category_id"], name=row["name"]) for row in rows]
    rows_with_parent = await reader.all(_WITH_CHILDREN, {"category_id": parent_id})
    if not any(row["category_id"] == parent_id for row in rows_with_parent):
        raise NotFound(CATEGORY_NOT_FOUND)
    return [
        CategoryOut(category_id=row["category_id"], name=row["name"])
        for row in rows_with_parent
        if row["category_id"] != parent_id
    ]


async def get_category(reader: Reader, category_id: str) -> CategoryDetail:
    rows = await reader.all(_WITH_CHILDREN, {"category_id": category_id})
    own = next((row for row in rows if row["category_id"] == category_id), None)
    if own is None:
        raise NotFound(CATEGORY_NOT_FOUND)
    counted = await reader.first(_ACTIVE_PRODUCTS_BELOW, {"category_id": category_id})
    return CategoryDetail(
        category_id=own["category_id"],
        name=own["name"],
        parent_id=own["parent_id"],
        children=[
            CategoryOut(category_id=row["category_id"], name=row["name"])
            for row in rows
            if row["category_id"] != category_id
        ],
        product_count=0 if counted is None else counted["product_count"],
    )


async def category_exists(session: AsyncSession, category_id: str) -> bool:
    query = select(exists().where(categories.c.category_id == category_id))
    return bool(await session.scalar(query))


def _unknown_parent() -> InvalidInput:
    return InvalidInput(errors=[FieldError(field="parent_id", message="Category does not exist.")])


async def create_category(
    session: AsyncSession, category_id: str, name: str, parent_id: str | None
) -> CategoryDetail:
    invalidate_after_commit(session)
    if parent_id is not None and not await category_exists(session, parent_id):
        raise _unknown_parent()
    inserted = await session.execute(
        insert(Category)
        .values(category_id=category_id, name=name, parent_id=parent_id)
        .on_conflict_do_nothing()
        .returning(categories.c.category_id)
    )
    if inserted.first() is None:
        raise Conflict("A category with this id already exists.")
    return CategoryDetail(
        category_id=category_id, name=name, parent_id=parent_id, children=[], product_count=0
    )


async def update_category(
    session: AsyncSession, category_id: str, changes: dict[str, str | None]
) -> CategoryDetail:
    invalidate_after_commit(session)
    new_parent = changes.get("parent_id")
    if new_parent is not None:
        await session.execute(_WAIT_FOR_OTHER_MOVES)
    category = await session.get(Category, category_id, with_for_update=True)
    if category is None:
        raise NotFound(CATEGORY_NOT_FOUND)
    if new_parent is not None:
        await _check_new_parent(session, category_id, new_parent)
    for field, value in changes.items():
        setattr(category, field, value)
    await session.flush()
    return await get_category(SessionReader(session), category_id)


# Moves under a parent take turns, each until its transaction ends, from before they lock their
# category: otherwise two at once (A under B, B under A) each lock their own row, then wait for
# the other's through the foreign key (a deadlock), or both pass the cycle check, which cannot
# see a move not yet committed.
_WAIT_FOR_OTHER_MOVES = select(
    func.pg_advisory_xact_lock(func.hashtextextended("catalog.category_moves", 0))
)


async def _check_new_parent(session: AsyncSession, category_id: str, parent_id: str) -> None:
    if not await category_exists(session, parent_id):
        raise _unknown_parent()
    tree = descendants_of(category_id)
    below = select(exists().where(tree.c.category_id == parent_id))
    if await session.scalar(below):
        raise InvalidInput(
            errors=[
                FieldError(
                    field="parent_id",
                    message="A category cannot be moved under itself or its own subcategory.",
                )
            ]
        )


async def catalog_is_empty(session: AsyncSession) -> bool:
    return not await session.scalar(select(exists().select_from(categories)))


async def add_missing_categories(
    session: AsyncSession, rows: Iterable[tuple[str, str, str | None]]
) -> None:
    values = [
        {"category_id": code, "name": name, "parent_id": parent} for code, name, parent in rows
    ]
    await session.execute(insert(Category).values(values).on_conflict_do_nothing())
