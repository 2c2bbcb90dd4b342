# Two commands on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1:8000
PYTEST_WORKERS ?= 2

.PHONY: run test bench lint format migrate seed worker beat clean venv

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[dev]"
	touch $(STAMP)

venv: $(STAMP)

migrate: venv
	$(BIN)/python manage.py migrate --noinput

seed: migrate
	$(BIN)/python manage.py seed_demo

# Development server: DEBUG only here (settings default to DEBUG off).
run: seed
	DJANGO_DEBUG=1 $(BIN)/python manage.py runserver $(HOST)

test: venv
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadfile -q -rs $(PYTEST_ARGS)

bench: venv
	$(BIN)/python -m pip install -q -e ".[dev,bench]"
	$(BIN)/python bench/run.py

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: venv
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

worker: venv
	DJANGO_SETTINGS_MODULE=loanportal.settings $(BIN)/celery -A loanportal worker -l info

beat: venv
	DJANGO_SETTINGS_MODULE=loanportal.settings $(BIN)/celery -A loanportal beat -l info

clean:
	rm -rf $(VENV) staticfiles test-output .hypothesis db.sqlite3 var
