"""The embedded PostgreSQL used when `STOREFRONT_DATABASE_URL` is unset.

A real server from the `pgserver` package, kept in the data dir so data survives restarts.
pgserver stops it when the last process using it exits (normal exit, Ctrl-C or SIGTERM
handled by the server), so nothing is left running.
"""

import json
import logging
import os
import re
import warnings
from pathlib import Path
from typing import Any

from storefront.core.config import ConfigurationError

logger = logging.getLogger(__name__)

DATABASE_NAME = "storefront"
_DATABASE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def start_embedded_postgres(data_dir: Path, database: str = DATABASE_NAME) -> str:
    """Start (or join) the embedded server and return an asyncpg URL for `database`."""
    if not _DATABASE_NAME.fullmatch(database):
        raise ValueError(f"not a plain database name: {database!r}")
    server = _start_server(data_dir.resolve() / "postgres")
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{database}';")  # noqa: S608
    if "(1 row)" not in exists:
        server.psql(f'CREATE DATABASE "{database}";')
    socket_dir = server.get_uri().split("host=", 1)[1]
    return f"postgresql+asyncpg://postgres@/{database}?host={socket_dir}"


def _start_server(pgdata: Path) -> Any:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # platformdirs warns about XDG_RUNTIME_DIR
            # Optional: pgserver has no wheel for some platforms and Pythons.
            from pgserver.postgres_server import get_server  # noqa: PLC0415
    except ImportError as exc:
        raise ConfigurationError(
            "The embedded PostgreSQL (pgserver) is not available on this platform or Python "
            f"({exc}); set STOREFRONT_DATABASE_URL to a PostgreSQL server instead."
        ) from None
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    _forget_dead_users(pgdata)
    logger.info("starting embedded PostgreSQL", extra={"pgdata": str(pgdata)})
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return get_server(pgdata, cleanup_mode="stop")
    except Exception as exc:
        raise ConfigurationError(
            f"The embedded PostgreSQL could not start in {pgdata} ({exc}); "
            "set STOREFRONT_DATABASE_URL to a PostgreSQL server instead."
        ) from None


def _forget_dead_users(pgdata: Path) -> None:
    """pgserver stops the server when the last process in `.handle_pids.json` exits, but a
    killed process (SIGKILL, a crash) never leaves that list, and then the server would never
    be stopped again. Drop the processes that no longer run."""
    handles = pgdata / ".handle_pids.json"
    if not handles.exists():
        return
    alive = [pid for pid in json.loads(handles.read_text() or "[]") if _is_running(pid)]
    handles.write_text(json.dumps(alive))


def _is_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
