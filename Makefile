# Dateline: the two commands a newcomer needs are `make run` and `make test`; everything else is below them.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
LOCAL := infra/local
STACK_ENV := $(LOCAL)/.cache/run/stack.env
SAMPLE_FEED := samples/feed

.PHONY: help setup jars up down run test lint unit integration bench schemas clean

help:
	@echo "make run    set up, start Kafka + Elasticsearch + services, stream the sample feed, search it (Ctrl-C stops)"
	@echo "make test   set up, lint, unit tests, then integration and end-to-end tests on a real local stack"
	@echo "make up / make down   the local stack and services in the background / stop everything"
	@echo "make bench  benchmarks (placeholder)    make clean  stop and remove local data, logs and the venv"

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

setup: $(INSTALLED) jars

jars:
	$(LOCAL)/kafka.sh build
	$(LOCAL)/es.sh build

up: setup
	$(LOCAL)/stack.sh up
	$(LOCAL)/services.sh start

down:
	-$(LOCAL)/services.sh stop
	$(LOCAL)/stack.sh down

run: up
	@trap '$(MAKE) --no-print-directory down' EXIT INT TERM; \
	set -a; . $(STACK_ENV); set +a; \
	$(BIN)/dateline ingest $(SAMPLE_FEED); \
	$(BIN)/dateline wait-searchable --min-docs 12 --timeout 180; \
	echo; echo '$$ dateline search tariff --facet countries --facet persons'; \
	$(BIN)/dateline search tariff --facet countries --facet persons; \
	echo; echo "Try it yourself in another shell (the stack stays up until Ctrl-C here):"; \
	echo "  $(BIN)/dateline search 'Ishiba AND visit' --facet countries --json"; \
	echo "  $(BIN)/dateline search '*' --filter countries=KR --facet topics"; \
	echo "  $(BIN)/dateline status"; \
	echo "Press Ctrl-C to stop everything."; \
	while sleep 3600; do :; done

lint: $(INSTALLED)
	$(BIN)/ruff check services schemas tests
	$(BIN)/ruff format --check services schemas tests
	$(BIN)/mypy

unit: $(INSTALLED)
	$(BIN)/pytest tests/unit -q

integration: setup
	$(LOCAL)/with-stack.sh $(BIN)/pytest tests/integration tests/e2e -q

test: setup lint unit integration

schemas: $(INSTALLED)
	$(BIN)/python -m schemas.generate

bench: setup
	@echo "make bench: the benchmark suite arrives with the benchmark issue; nothing is measured yet."

clean:
	-$(MAKE) --no-print-directory down
	$(LOCAL)/stack.sh clean
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
