"""Every module's tables on one metadata, for Alembic and the test harness."""

from storefront.auth import models as auth_models
from storefront.cart import models as cart_models
from storefront.catalog import models as catalog_models
from storefront.core import idempotency as idempotency_models
from storefront.core.database import Base
from storefront.core.events import models as event_models
from storefront.notifications import models as notification_models
from storefront.orders import models as order_models
from storefront.payments import models as payment_models
from storefront.payments.gateways import sandbox_models
from storefront.users import models as users_models

__all__ = [
    "auth_models",
    "cart_models",
    "catalog_models",
    "event_models",
    "idempotency_models",
    "metadata",
    "notification_models",
    "order_models",
    "payment_models",
    "sandbox_models",
    "users_models",
]

metadata = Base.metadata
