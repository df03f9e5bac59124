# tipnet: `make demo` runs a node end to end on SQLite; `make test` runs every check.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_DB ?= demo.db
PORT ?= 8000

.PHONY: venv system demo test lint typecheck pytest bench clean

$(BIN)/tipnet: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(BIN)/tipnet

venv: $(BIN)/tipnet

# System packages: headless Chromium for the browser tests of the public pages, libsodium for
# the federation's ristretto255 group operations (Debian packages; needs root).
SYSTEM_PACKAGES := chromium chromium-driver libsodium23
system:
	@missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq $$missing >/dev/null; \
	  else echo "tipnet needs Debian packages: sudo apt-get install $$missing"; exit 1; fi; fi

pytest: venv system
	$(BIN)/pytest -q

test: lint typecheck pytest

clean:
	rm -rf $(VENV) $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm .env.demo .pytest_cache .mypy_cache
