"""As-you-type suggestions: prefix matches on product names through the weighted search vector."""

import re

from sqlalchemy import String, bindparam, func, literal_column, select

from storefront.catalog.models import SEARCH_CONFIG
from storefront.catalog.models import products_table as products
from storefront.catalog.schemas import Suggestion
from storefront.core.reads import Reader

MAX_SUGGESTIONS = 10
_MAX_WORDS = 8
# Letters and digits only: what is left cannot carry tsquery syntax (quotes, &, |, !, :, *).
_WORD = re.compile(r"[^\W_]+")


def prefix_tsquery(text: str) -> str | None:
    """'blue ket' -> "'blue':A & 'ket':*A": every word in the name, the last one as a prefix."""
    words = _WORD.findall(text.lower())[:_MAX_WORDS]
    if not words:
        return None
    terms = [f"'{word}':A" for word in words[:-1]] + [f"'{words[-1]}':*A"]
    return " & ".join(terms)


# A FROM item: parsed once per statement, not once per matching row by the ranking.
_TSQUERY = func.to_tsquery(
    literal_column(f"'{SEARCH_CONFIG}'"), bindparam("tsquery", type_=String())
).column_valued("prefix_query")
_SUGGESTIONS = (
    select(products.c.product_id, products.c.name)
    .where(products.c.is_active, products.c.search_vector.op("@@")(_TSQUERY))
    .order_by(
        func.ts_rank_cd(products.c.search_vector, _TSQUERY).desc(),
        products.c.rating_count.desc(),
        products.c.name,
    )
    .limit(MAX_SUGGESTIONS)
)


async def suggest(reader: Reader, text: str) -> list[Suggestion]:
    tsquery_text = prefix_tsquery(text)
    if tsquery_text is None:
        return []
    rows = await reader.all(_SUGGESTIONS, {"tsquery": tsquery_text})
    return [Suggestion(product_id=row["product_id"], name=row["name"]) for row in rows]
