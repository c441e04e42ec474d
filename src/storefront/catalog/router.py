from fastapi import APIRouter, Response

from storefront.catalog import service
from storefront.catalog.schemas import Category, CategoryList
from storefront.core.database import SessionDep
from storefront.core.http import API_PREFIX

router = APIRouter(prefix=API_PREFIX, tags=["catalog"])

PUBLIC_CACHE = "public, max-age=60"


@router.get("/categories", response_model=CategoryList)
async def list_categories(session: SessionDep, response: Response) -> CategoryList:
    rows = await service.list_categories(session)
    response.headers["Cache-Control"] = PUBLIC_CACHE
    return CategoryList(categories=[Category.model_validate(row) for row in rows])
