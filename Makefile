# The doors: `make run`, `make test`, `make lint`. Each does its own set-up and is safe to repeat.
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: setup run test lint format lock db-down clean bench bench-quick load fuzz

setup:
	@./scripts/setup.sh

SAMPLE_EVENTS ?= 20000

## Start the local PostGIS; on first start load the Nanjing grids, the taxonomy and a few
## months of synthetic events; serve the API.
run: setup
	$(BIN)/gridsvc db up
	$(BIN)/gridsvc init --sample-events $(SAMPLE_EVENTS)
	$(BIN)/gridsvc serve --host $(HOST) --port $(PORT)

## The whole test suite, on a throwaway PostGIS the tests start themselves; the map tests
## drive Debian's chromium, the OGC client tests GDAL and QGIS (installed as root; elsewhere
## they are skipped, with a warning).
test:
	@WANT_BROWSER=1 WANT_GIS=1 ./scripts/setup.sh
	$(BIN)/python -m pytest $(PYTEST_ARGS)

BENCH_EVENTS ?= 10000000

## Measure the performance goals against their baselines on a throwaway PostGIS
## (bench/README.md). BENCH_EVENTS sets the size; bench-quick is the 100,000-event run.
bench: setup
	$(BIN)/python -m bench.run --events $(BENCH_EVENTS)

bench-quick: setup
	$(BIN)/python -m bench.run --quick

LOAD_SECONDS ?= 60

## A mixed load on loopback for LOAD_SECONDS against a throwaway PostGIS with 20,000 sample
## events: grid workers report, dispatchers and a department act, analysts read statistics
## and maps (bench/mixed.py). Writes bench/results/load-latest.json and .md; exits 1 if the
## rollup or the stored keys are not exact afterwards.
load: setup
	$(BIN)/python -m bench.mixed --seconds $(LOAD_SECONDS)

FUZZ_EXAMPLES ?= 1000

## Fuzz every API operation (schemathesis, valid and invalid inputs, tokens of every role)
## with FUZZ_EXAMPLES examples each (an eighth as many for statistics, maps and imports);
## `make test` runs the same file with 200. Repeatable: the examples are derandomized.
fuzz: setup
	GRIDSVC_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest tests/api/test_fuzz.py -q

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## Re-pin the dependencies after changing pyproject.toml.
lock:
	rm -rf .lock-venv && python3 -m venv .lock-venv
	.lock-venv/bin/pip install -q -e '.[dev]'
	.lock-venv/bin/pip freeze --exclude-editable | grep -v '^gridsvc' > requirements.lock
	rm -rf .lock-venv

db-down: setup
	$(BIN)/gridsvc db down

clean:
	-$(BIN)/gridsvc db destroy --yes
	rm -rf $(VENV) .gridsvc .pytest_cache .mypy_cache .ruff_cache
