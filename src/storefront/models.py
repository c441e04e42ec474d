"""Every module's tables on one metadata, for Alembic and the test harness."""

from storefront.catalog import models as catalog_models
from storefront.core.database import Base

__all__ = ["catalog_models", "metadata"]

metadata = Base.metadata
