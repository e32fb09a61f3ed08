# Every target creates .venv and installs what it needs, so a fresh clone needs nothing else.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: help demo test lint typecheck unit bench bench-soak clean lab-down

help:
	@echo "make demo   - start the built-in lab, plan, roll out the policy, audit, inject a fault, stop the lab"
	@echo "make test   - lint + type check + all tests (what CI runs)"
	@echo "make lint   - ruff"
	@echo "make bench  - scale and speed benchmarks (writes benchmarks/results/)"
	@echo "make bench-soak - 1-hour monitor run at a 1 s interval: RSS and cycle time (SOAK_S=3600)"

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -qq --upgrade pip
	$(BIN)/python -m pip install -qq -e '.[dev,bench,lab]'
	@touch $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check agent rocelab napalm_rocesonic tests benchmarks
	$(BIN)/ruff format --check agent rocelab napalm_rocesonic tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy agent rocelab napalm_rocesonic

unit: $(STAMP)
	$(BIN)/python -m pytest tests/unit -q

test: lint typecheck
	$(BIN)/python -m pytest tests -q

demo: $(STAMP)
	$(BIN)/python -m agent.demo

bench: $(STAMP)
	$(BIN)/python -m benchmarks.run

SOAK_S ?= 3600
bench-soak: $(STAMP)
	$(BIN)/python -m benchmarks.monitor_soak --duration $(SOAK_S)

lab-down: $(STAMP)
	$(BIN)/roce-agent lab down

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache *.egg-info
