# From a fresh clone you need only Python 3.11 or 3.12 and make: the first target run installs uv
# into .tools/, then uv builds .venv/ from uv.lock.
PYTHON ?= python3
UV := .tools/bin/uv
UV_VERSION := 0.13.9
export UV_PYTHON := $(PYTHON)
export UV_PYTHON_DOWNLOADS := never

.PHONY: run test lint check-migrations format bench clean

run: .venv/.synced
	.venv/bin/storefront serve

# pytest exits 5 when it collected no test: that is a broken suite, never a pass.
test: .venv/.synced
	@.venv/bin/pytest $(PYTEST_ARGS); status=$$?; \
	if [ $$status -eq 5 ]; then echo "make test: pytest collected no tests" >&2; exit 1; fi; \
	exit $$status

lint: .venv/.synced
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy

check-migrations: .venv/.synced
	.venv/bin/storefront migrate
	.venv/bin/alembic check

format: .venv/.synced
	.venv/bin/ruff check --fix .
	.venv/bin/ruff format .

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

.venv/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --quiet
	touch $@

clean:
	rm -rf .venv .tools
