"""The one pagination scheme: `page` from 1, `page_size` 1-100 (default 20), and the
`pagination` object every list body carries."""

from dataclasses import dataclass
from typing import Annotated, Self

from fastapi import Depends, Query

from storefront.core.schemas import Schema

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
MAX_PAGE = 1_000_000


@dataclass(frozen=True)
class PageParams:
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size


async def _page_params(
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
    page_size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
) -> PageParams:
    return PageParams(page, page_size)


PageDep = Annotated[PageParams, Depends(_page_params)]


class Pagination(Schema):
    page: int
    page_size: int
    total_items: int
    total_pages: int

    @classmethod
    def of(cls, params: PageParams, total_items: int) -> Self:
        total_pages = -(-total_items // params.page_size)
        return cls(
            page=params.page,
            page_size=params.page_size,
            total_items=total_items,
            total_pages=total_pages,
        )
