"""HTTP plumbing shared by every module: the API prefix and the ASGI middleware."""

# Module routers take this as their own prefix (APIRouter(prefix=API_PREFIX)) rather than receiving
# it from include_router, so each route's path is its full template for logs and metrics.
API_PREFIX = "/api/v1"
