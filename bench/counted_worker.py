"""`storefront worker` with every SQL statement it sends counted, for `bench.outbox_throughput
--count-sql`. The counts (by statement shape, plus transaction begins, commits and rollbacks) are
written as JSON to $BENCH_SQL_COUNTS when the worker exits. With BENCH_UVLOOP=1 the worker's
asyncio.run gets a uvloop event loop instead of the standard one (`--uvloop`):

    BENCH_SQL_COUNTS=/tmp/counts.json .venv/bin/python -m bench.counted_worker worker
"""

import asyncio
import atexit
import json
import os
import re
from collections import Counter
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from storefront.cli import main

_TABLE = re.compile(r"\b(?:FROM|INTO|UPDATE)\s+\"?(\w+)", re.IGNORECASE)
counts: Counter[str] = Counter()


def shape(statement: str) -> str:
    """'SELECT outbox_events FOR UPDATE', 'INSERT notification_log', ..."""
    verb = statement.split(None, 1)[0].upper() if statement.strip() else "?"
    table = _TABLE.search(statement)
    locking = " FOR UPDATE" if "FOR UPDATE" in statement.upper() else ""
    return f"{verb} {table.group(1) if table else '-'}{locking}"


@event.listens_for(Engine, "before_cursor_execute", named=True)
def _count_statement(**arguments: Any) -> None:
    counts[shape(arguments["statement"])] += 1


@event.listens_for(Engine, "begin")
def _count_begin(connection: Connection) -> None:
    counts["(begin)"] += 1


@event.listens_for(Engine, "commit")
def _count_commit(connection: Connection) -> None:
    counts["(commit)"] += 1


@event.listens_for(Engine, "rollback")
def _count_rollback(connection: Connection) -> None:
    counts["(rollback)"] += 1


def _write_counts() -> None:
    path = os.environ.get("BENCH_SQL_COUNTS")
    if path:
        with open(path, "w") as out:
            json.dump(dict(counts), out)


atexit.register(_write_counts)

if __name__ == "__main__":
    if os.environ.get("BENCH_UVLOOP") == "1":
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    main()
