# One command runs the main job (`make run`), one the tests (`make test`). Both set up what they need.
PYTHON ?= python3
VENV := .venv
BQVENV := .venv-bq
BIN := $(VENV)/bin
DATE ?= 2025-01-15

.PHONY: venv venv-bq lock run test lint bench stack-up stack-down clean

venv: $(VENV)/.installed
# Installs the hashed lock (every distribution pinned, hashes checked); the project itself, without deps, after.
$(VENV)/.installed: requirements-dev.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check --require-hashes -r requirements-dev.lock
	$(BIN)/pip install -q --disable-pip-version-check --no-deps -e .
	touch $@

venv-bq: $(BQVENV)/.installed
$(BQVENV)/.installed: requirements-bqemulator.lock
	test -x $(BQVENV)/bin/python || $(PYTHON) -m venv $(BQVENV)
	$(BQVENV)/bin/pip install -q --disable-pip-version-check --require-hashes -r requirements-bqemulator.lock
	touch $@

## Recompile every hashed lock (functions, dev, BigQuery emulator) from the pinned inputs: after changing
## requirements*.txt or a function's extra_requirements. Needs the package index; review the diff.
lock: venv
	$(BIN)/python -m deploy.lock

## The main job: the whole NBA game day $(DATE) through the real pipeline on the local emulators, then the report.
## The stack stays up afterwards (query it, `nba-orch status --date $(DATE)`); `make stack-down` stops it.
run: venv venv-bq
	$(BIN)/nba-orch simulate --date $(DATE) --out .nba-orch/simulation

## The tests: virtualenvs, the emulator stack (started by the test session, stopped if it started it), pytest.
test: venv venv-bq
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m pytest -q --durations=15 $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check shared tooling functions jobs tests deploy
	$(BIN)/ruff format --check shared tooling functions jobs tests deploy

stack-up: venv venv-bq
	$(BIN)/nba-orch local up

stack-down: venv
	$(BIN)/nba-orch local down

clean:
	rm -rf $(VENV) $(BQVENV) .nba-orch
