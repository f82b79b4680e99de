# juzhu: `make run` serves the product, `make test` runs every test. Both do their own set-up.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
WORKERS ?= 1
CHROMIUM ?= /usr/bin/chromium

.PHONY: run serve install migrate seed test test-unit test-e2e chromium bench bench-queue makemigrations clean

## run: install, migrate, seed and serve on http://$(HOST):$(PORT)
run: install migrate seed serve

serve:
	$(BIN)/uvicorn --factory web.app:create_app --host $(HOST) --port $(PORT) --workers $(WORKERS)

## install: a virtualenv with the pinned dependencies (reinstalled when requirements.lock changes)
install: $(VENV)/.installed

$(VENV)/.installed: requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	touch $@

migrate: install
	$(BIN)/python -m web.manage migrate

seed: install
	$(BIN)/python -m web.manage seed

## makemigrations: write a migration for model changes (then commit it)
makemigrations: install
	$(BIN)/tortoise makemigrations

## chromium: Debian's browser for the Playwright journeys (browsers cannot be downloaded here)
chromium:
	@test -x $(CHROMIUM) || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

## test: unit and HTTP tests, then the browser journeys (a separate run: STACK.md trap 10)
test: install chromium
	$(MAKE) --no-print-directory test-unit test-e2e

test-unit:
	APP_ENV=test $(BIN)/pytest -q tests

test-e2e:
	APP_ENV=test CHROMIUM=$(CHROMIUM) $(BIN)/pytest -q -c e2e/pytest.ini e2e

## bench: performance goals, measured (not part of `make test`)
bench: install
	$(BIN)/python -m bench

## bench-queue: the staff queue's query plans and times over 100,000 applications (PostgreSQL)
bench-queue: install
	$(BIN)/python -m bench.queue_plan

clean:
	rm -rf $(VENV) var .pytest_cache e2e/artifacts
