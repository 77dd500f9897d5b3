# Everyday tasks. `make run` and `make test` are the README's quickstart.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run demo test lint format typecheck pytest bench bench-cli clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

## Set up and run the system on its embedded defaults (SQLite under .ems, the demo plant,
## the embedded MQTT broker, the ingestor and the live simulator) until Ctrl-C.
run: $(STAMP)
	$(BIN)/ems-agent up

## Set up and run every check CI runs: lint, format, types, the whole test suite.
test: $(STAMP) lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest

## Store benchmark; PostgreSQL too when EMS_TEST_PG_URL is set (scripts/postgres-up.sh prints it).
bench: $(STAMP)
	$(BIN)/python -m benchmarks.store_bench $(if $(EMS_TEST_PG_URL),--pg $(EMS_TEST_PG_URL))

## Start-up benchmark: --help, meters, a meter question and pytest's start-up, in new processes.
bench-cli: $(STAMP)
	$(BIN)/python -m benchmarks.cli_bench

clean:
	rm -rf $(VENV) .ems .mypy_cache .ruff_cache .pytest_cache
