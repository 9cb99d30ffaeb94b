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

.PHONY: help setup lock wheel-check jars up down run test lint unit integration faults bench bench-cost bench-backfill bench-sizes schemas quality quality-entities topics-train soak-feeds clean

help:
	@echo "make run    set up, start Kafka + Elasticsearch + services, stream the sample feed, search it (Ctrl-C stops)"
	@echo "make test   set up, lint, unit tests, then integration and end-to-end tests on a real local stack"
	@echo "make up / make down   the local stack and services in the background / stop everything"
	@echo "make faults  the fault tests of issue 6 (kills, outages, poison), each printing its audit (part of make test)"
	@echo "make bench  throughput, freshness, memory vs targets (BENCHMARKS.md)    make soak  50,000-article memory soak"
	@echo "make lock   regenerate requirements.lock and requirements-dev.lock after pyproject.toml changed"
	@echo "make clean  stop and remove local data, logs and the venv"

# Exactly the versions in requirements-dev.lock (hashes checked), then our own package without resolving anything.
$(INSTALLED): pyproject.toml requirements-dev.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --require-hashes -r requirements-dev.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

# After a dependency changes in pyproject.toml (or to take newer transitive versions): regenerate both locks from
# PyPI, then commit them. requirements.lock is what the Docker image installs; requirements-dev.lock adds [dev].
LOCK_FLAGS := --quiet --strip-extras --generate-hashes --allow-unsafe --no-emit-find-links
lock: $(INSTALLED)
	$(BIN)/pip-compile $(LOCK_FLAGS) --output-file=requirements.lock pyproject.toml
	$(BIN)/pip-compile $(LOCK_FLAGS) --extra=dev --output-file=requirements-dev.lock pyproject.toml

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
	echo "  the search page: http://127.0.0.1:$${DATELINE_PORT:-8000}/"; \
	echo "Press Ctrl-C to stop everything."; \
	while sleep 3600; do :; done

lint: $(INSTALLED)
	$(BIN)/ruff check services schemas tests quality bench infra
	$(BIN)/ruff format --check services schemas tests quality bench infra
	$(BIN)/mypy

unit: $(INSTALLED)
	$(BIN)/pytest tests/unit -q

# The search page test drives Debian's Chromium (never a browser Playwright downloads); installed once.
CHROMIUM := /usr/bin/chromium
$(CHROMIUM):
	$(if $(filter 0,$(shell id -u)),,sudo) apt-get update -q
	$(if $(filter 0,$(shell id -u)),,sudo) apt-get install -y -q chromium

integration: setup $(CHROMIUM)
	$(LOCAL)/with-stack.sh $(BIN)/pytest tests/integration tests/e2e -q

# Issue 6: each fault test injects one failure into the running pipeline and prints `dateline audit`'s counts.
# The shared stack serves most of them; the Elasticsearch-outage and broker-restart tests start private servers.
faults: setup
	$(LOCAL)/with-stack.sh $(BIN)/pytest tests/faults -q -s -p no:cacheprovider

test: setup lint unit integration faults

schemas: $(INSTALLED)
	$(BIN)/python -m schemas.generate

# Our labelled set, then the development sets in ../shared/eval: our extraction step beside plain trafilatura, and
# ../shared/eval/score.py, which scores through `dateline enrich` exactly as the project is judged.
EVAL := ../shared/eval
quality: $(INSTALLED)
	$(BIN)/python -m quality
	@if [ -f $(EVAL)/score.py ]; then \
	  for set in wire "extraction --baseline" coverage; do echo; echo "\$$ score.py $$set"; \
	    $(BIN)/python $(EVAL)/score.py $$set | tail -4; done; \
	else echo "$(EVAL) not found: score.py not run"; fi

# Issue 13: refits the topic classifier from services/enrich/topics_train/corpus and the IPTC definitions in
# ../shared/taxonomy, and rewrites services/enrich/data/topics_model.json (committed). Deterministic: same inputs,
# same file.
topics-train: $(INSTALLED)
	$(BIN)/python -m services.enrich.topics_train

# Issue 4: entities, countries and topics against plain spaCy on quality/entities (exit 1 when a target is missed).
quality-entities: $(INSTALLED)
	$(BIN)/python -m quality.entities --timing

# Not in CI: the ingest service polls generated feeds on loopback for SOAK_MINUTES, its memory sampled.
SOAK_MINUTES ?= 10
soak-feeds: up
	set -a; . $(STACK_ENV); set +a; $(BIN)/python -m infra.ingest.soak_feeds --minutes $(SOAK_MINUTES)

# BENCH_ARTICLES: corpus size; each of the 3 runs takes a third of it (BENCHMARKS.md, How each figure is measured).
BENCH_ARTICLES ?= 2000
bench: setup
	$(LOCAL)/with-stack.sh $(BIN)/python -m bench run --articles $(BENCH_ARTICLES) --runs 3 --docs-chart

# The whole enrichment against plain nlp.pipe on the same articles, in process, no stack (~2 min): after a step changes.
bench-cost: $(INSTALLED)
	$(BIN)/python -m bench cost --articles 120 --rounds 3

# Issue 6: live freshness while a 10,000-article archive import waits on articles.backfill (not in CI, ~5 min).
bench-backfill: setup
	$(LOCAL)/with-stack.sh $(BIN)/python -m bench backfill --backfill 10000 --rate 5

soak: setup
	$(LOCAL)/with-stack.sh $(BIN)/python -m bench soak --articles 50000

# Bytes per article on Kafka and in Elasticsearch, for the README's sizing table (~4 min).
bench-sizes: setup
	$(LOCAL)/with-stack.sh $(BIN)/python -m bench sizes --articles 1500

clean:
	-$(MAKE) --no-print-directory down
	$(LOCAL)/stack.sh clean
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
