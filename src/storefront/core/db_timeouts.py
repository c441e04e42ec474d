"""How long a database connection may take to open and a statement to run, as asyncpg's
connect arguments; the SQLAlchemy engine (core/database.py) and the read pool (core/reads.py)
both take them."""

from typing import TypedDict

# The server cancels a statement past its timeout (a clean error, the connection stays
# usable); the client gives up this much later, for a server that does not answer at all.
CLIENT_GRACE_SECONDS = 1.0


class AsyncpgTimeouts(TypedDict, total=False):
    timeout: float
    command_timeout: float
    server_settings: dict[str, str]


def asyncpg_timeouts(
    connect_timeout: float | None, statement_timeout: float | None
) -> AsyncpgTimeouts:
    """Keyword arguments for asyncpg.connect and asyncpg.create_pool; None is no limit."""
    arguments = AsyncpgTimeouts()
    if connect_timeout is not None:
        arguments["timeout"] = connect_timeout
    if statement_timeout is not None:
        arguments["command_timeout"] = statement_timeout + CLIENT_GRACE_SECONDS
        arguments["server_settings"] = {"statement_timeout": str(round(statement_timeout * 1000))}
    return arguments
