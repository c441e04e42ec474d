"""As-you-type suggestions: prefix matches on product names through the weighted search vector."""

import re

from sqlalchemy import func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession

from storefront.catalog.models import SEARCH_CONFIG
from storefront.catalog.models import products_table as products
from storefront.catalog.schemas import Suggestion

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


async def suggest(session: AsyncSession, text: str) -> list[Suggestion]:
    tsquery_text = prefix_tsquery(text)
    if tsquery_text is None:
        return []
    tsquery = func.to_tsquery(literal_column(f"'{SEARCH_CONFIG}'"), tsquery_text)
    p = products.c
    query = (
        select(p.product_id, p.name)
        .where(p.is_active, p.search_vector.op("@@")(tsquery))
        .order_by(func.ts_rank_cd(p.search_vector, tsquery).desc(), p.rating_count.desc(), p.name)
        .limit(MAX_SUGGESTIONS)
    )
    rows = (await session.execute(query)).all()
    return [Suggestion(product_id=row.product_id, name=row.name) for row in rows]
