# tipnet: `make demo` runs a node end to end on SQLite; `make test` runs every check.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_DB ?= demo.db
PORT ?= 8000

.PHONY: venv system demo test lint typecheck pytest audit-deps bench clean

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

# A fresh demo node: new key, migrated SQLite database, demo organisations, tokens, and the
# platform reports of a generated scenario (synthetic; its ground truth is in demo-scenario/),
# linked into networks.
demo: venv system
	rm -f $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm
	@test -f .env.demo || $(BIN)/tipnet admin gen-key > .env.demo
	set -a; . ./.env.demo; set +a; \
	export TIPNET_DATABASE_URL=sqlite:///./$(DEMO_DB); \
	$(BIN)/tipnet db upgrade && \
	$(BIN)/tipnet demo seed --reports 20 && \
	$(BIN)/tipnet simulate --seed 7 --scale 20000 --out demo-scenario && \
	$(BIN)/tipnet reports ingest demo-scenario/reports.jsonl --as platform-bot --restart && \
	$(BIN)/tipnet link run && \
	$(BIN)/tipnet link list --transnational --limit 5 && \
	echo "API on http://127.0.0.1:$(PORT)  docs: http://127.0.0.1:$(PORT)/docs  (Ctrl-C to stop)" && \
	$(BIN)/tipnet serve --port $(PORT)

lint: venv
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/ruff format --check src tests benchmarks scripts

typecheck: venv
	$(BIN)/mypy

pytest: venv system
	$(BIN)/pytest -q --durations=15

# Known vulnerabilities in the installed dependencies (pip-audit); fails only when a fixed
# release exists, and passes with a note when the advisory database cannot be reached.
audit-deps: venv
	$(BIN)/python scripts/audit_dependencies.py

test: lint typecheck audit-deps pytest

clean:
	rm -rf $(VENV) demo-scenario $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm .env.demo .pytest_cache .mypy_cache
