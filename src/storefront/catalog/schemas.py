from storefront.core.schemas import Schema, SuccessResponse


class Category(Schema):
    category_id: str
    name: str


class CategoryList(SuccessResponse):
    categories: list[Category]
