"""uvicorn or granian for `storefront serve`: the same app and routes under each, beside the bare
ASGI ceiling under each. Needs wrk (uvicorn comes with the dev group); run from the repo root:

    STOREFRONT_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/storefront_bench \
        .venv/bin/python -m bench.serve_choice
"""

import os
import sys

from bench.harness import Result, granian_command, pinned_server, print_table, run_wrk

PORT = 8089
BASE = f"http://127.0.0.1:{PORT}"
ROUTES = ("/health", "/api/v1/categories")


def _uvicorn(target: str, factory: bool) -> list[str]:
    flags = ["--factory"] if factory else []
    return [
        sys.executable,
        "-m",
        "uvicorn",
        target,
        *flags,
        "--port",
        str(PORT),
        "--no-access-log",
        "--log-level",
        "warning",
        "--loop",
        "uvloop",
        "--http",
        "httptools",
    ]


def _granian(target: str, factory: bool) -> list[str]:
    return granian_command(target, PORT, factory=factory)


def main() -> None:
    env = os.environ | {"STOREFRONT_LOG_LEVEL": "WARNING"}
    for name, command in (
        ("uvicorn", _uvicorn),
        ("granian", _granian),
    ):
        with pinned_server(command("bench.bare_asgi:app", False), BASE, env) as pid:
            ceiling = run_wrk(f"{name}: bare ASGI", BASE, pid)
        results: list[Result] = [ceiling]
        with pinned_server(command("storefront.app:serve_app", True), f"{BASE}/health", env) as pid:
            results += [run_wrk(f"{name}: GET {route}", BASE + route, pid) for route in ROUTES]
        print_table(results, ceiling)
        print()


if __name__ == "__main__":
    main()
